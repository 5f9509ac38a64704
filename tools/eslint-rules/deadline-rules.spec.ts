import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import plugin from './index.cjs';

// RuleTester runs each case as a vitest test (it uses the global describe/it).
const tester = new RuleTester({
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { ecmaVersion: 2022, sourceType: 'module' },
  },
});

describe('no-unlinked-abort', () => {
  tester.run('no-unlinked-abort', plugin.rules['no-unlinked-abort'], {
    valid: [
      {
        code: 'function call() { const link = linkSignals(currentDeadline()?.signal, new AbortController().signal); return link; }',
      },
      {
        code: 'const f = () => { const c = new AbortController(); currentScope()?.deadline.signal.addEventListener("abort", () => c.abort()); };',
      },
      { code: 'const child = currentDeadline()?.child({ capMs: 500 });' },
      {
        code: 'class Sweeper { private readonly stopping = new AbortController(); }',
      },
    ],
    invalid: [
      {
        code: 'async function fetchPrice() { const c = new AbortController(); setTimeout(() => c.abort(), 1000); return get(c.signal); }',
        errors: [{ messageId: 'controller' }],
      },
      {
        code: 'const c = new AbortController();',
        errors: [{ messageId: 'controller' }],
      },
      {
        code: 'class S { handle() { const c = new AbortController(); return work(c.signal); } }',
        errors: [{ messageId: 'controller' }],
      },
      {
        code: 'async function f() { await fetch(url, { signal: AbortSignal.timeout(2000) }); currentDeadline(); }',
        errors: [{ messageId: 'timeout' }],
      },
    ],
  });
});

describe('no-escaping-downstream-call', () => {
  const service = (body: string): string => `
    class OrderService {
      constructor(
        @InjectGrpcClient('inventory') private readonly inventory: DeadlineClient<InventoryService>,
        private readonly orders: OrderRepository,
        private readonly logger: Logger,
      ) {}
      place() { ${body} }
    }`;
  tester.run(
    'no-escaping-downstream-call',
    plugin.rules['no-escaping-downstream-call'],
    {
      valid: [
        { code: service('return this.inventory.reserve({ orderId });') },
        { code: service('setTimeout(() => this.logger.log("later"), 10);') },
        {
          code: service(
            'setTimeout(() => runWithDeadline(Deadline.after(500), () => this.inventory.release({ orderId })), 10);',
          ),
        },
        {
          code: service(
            'emitter.on("done", () => { void runInScope(scope, () => this.orders.markSettled(id)); });',
          ),
        },
      ],
      invalid: [
        {
          code: service(
            'setTimeout(() => { void this.inventory.release({ orderId }); }, 1000);',
          ),
          errors: [
            {
              messageId: 'escaping',
              data: { call: 'this.inventory.release()', via: 'setTimeout' },
            },
          ],
        },
        {
          code: service(
            'emitter.on("paid", async (id) => { await this.orders.confirm(id, 1, "c"); });',
          ),
          errors: [
            {
              messageId: 'escaping',
              data: { call: 'this.orders.confirm()', via: '.on()' },
            },
          ],
        },
        {
          code: service(
            'process.nextTick(() => this.inventory.commit({ orderId }));',
          ),
          errors: [
            {
              messageId: 'escaping',
              data: {
                call: 'this.inventory.commit()',
                via: 'process.nextTick',
              },
            },
          ],
        },
        {
          code: service(
            'signal.addEventListener("abort", function () { void this.inventory.release({ orderId }); });',
          ),
          errors: [{ messageId: 'escaping' }],
        },
      ],
    },
  );
});

describe('no-detached-deadline', () => {
  tester.run('no-detached-deadline', plugin.rules['no-detached-deadline'], {
    valid: [
      { code: 'const d = currentDeadline()?.child({ reserveMs: 10 });' },
      { code: 'later.after(10);' },
    ],
    invalid: [
      {
        code: 'const d = Deadline.after(5000);',
        errors: [{ messageId: 'detached', data: { what: 'Deadline.after()' } }],
      },
      {
        code: 'await runWithDeadline(Deadline.after(5000), () => work());',
        errors: [
          { messageId: 'detached', data: { what: 'runWithDeadline()' } },
          { messageId: 'detached', data: { what: 'Deadline.after()' } },
        ],
      },
      {
        code: 'runInScope(scope, () => work());',
        errors: [{ messageId: 'detached', data: { what: 'runInScope()' } }],
      },
    ],
  });
});
