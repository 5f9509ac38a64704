// Unit tests sit beside the code (*.spec.ts); end-to-end tests that start real tiers live in test/.
// ts-jest in transpile-only mode: types are checked once by `npm run typecheck`, not per test file.
// (Not @swc/jest: its native binaries' optional platform packages cannot all be recorded in the
// lock file from this registry, and `npm ci` then refuses the lock on every machine.)
const tsJest = [
  'ts-jest',
  { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false },
];

const moduleNameMapper = {
  '^@lib/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
};

const common = {
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper,
  testEnvironment: 'node',
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/tools/**/*.spec.ts',
      ],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      slowTestThreshold: 30,
    },
  ],
};
