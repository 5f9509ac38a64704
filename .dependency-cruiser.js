// Layer boundaries, checked in `npm test` (after Domain-Driven Hexagon's .dependency-cruiser.js).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'lib-imports-app',
      severity: 'error',
      comment: 'A lib never imports an app.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'app-imports-app',
      severity: 'error',
      comment: 'Apps never import each other.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'core-imports-framework',
      severity: 'error',
      comment:
        "A lib's core is plain TypeScript: no Nest, no rxjs, no gRPC library.",
      from: { path: '^libs/[^/]+/src/core/' },
      to: { path: '(^|/)node_modules/(@nestjs|rxjs|@grpc)/' },
    },
    {
      name: 'core-imports-adapters',
      severity: 'error',
      comment: 'The core does not know its adapters.',
      from: { path: '^libs/([^/]+)/src/core/' },
      to: { path: '^libs/$1/src/(nest|grpc)/' },
    },
    {
      name: 'grpc-imports-nest',
      severity: 'error',
      comment: 'The grpc-js layer is framework-free too.',
      from: { path: '^libs/[^/]+/src/grpc/' },
      to: { path: '(^|/)node_modules/(@nestjs|rxjs)/' },
    },
    {
      name: 'lib-internals-from-outside',
      severity: 'error',
      comment: 'Outside a lib, only its index.ts is public.',
      from: { path: '^(apps|libs/([^/]+))/' },
      to: {
        path: '^libs/([^/]+)/src/.+',
        pathNot: ['^libs/[^/]+/src/index\\.ts$', '^libs/$2/src/'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
