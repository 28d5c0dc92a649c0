// better-sqlite3 answers synchronously, and Prisma's adapter hands the answer back as an already
// settled promise: a handler that runs ten queries runs them in one unbroken stretch of microtasks,
// and every HTTP request that arrives meanwhile (a Slack ack, due within 3 s) waits for the whole
// stretch. Queries outside a transaction therefore step back into the event loop first, so pending
// requests are parsed and acknowledged between one query and the next. The turns are taken one at a
// time across the process: eight jobs at a query each get one turn apiece, with the event loop
// (and the acks waiting in it) between them, instead of eight stretches back to back. Queries inside
// a transaction do not yield: the transaction holds SQLite's single writer and should end soon.
import { setImmediate } from 'node:timers/promises';

let lastTurn: Promise<unknown> = Promise.resolve();

/** Resolves in an event-loop turn of its own, after every turn asked for before it. */
function nextTurn(): Promise<unknown> {
  lastTurn = lastTurn.then(() => setImmediate());
  return lastTurn;
}

type Queryable = { queryRaw(query: unknown): Promise<unknown>; executeRaw(query: unknown): Promise<unknown> };
type Factory<A> = { connect(): Promise<A>; connectToShadowDb?(): Promise<A> };

function yieldingAdapter<A extends object>(adapter: A): A {
  return new Proxy(adapter, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'queryRaw' || property === 'executeRaw') {
        const run = (value as Queryable['queryRaw']).bind(target);
        return async (query: unknown) => {
          await nextTurn();
          return run(query);
        };
      }
      // The adapter keeps its state in private fields: its own methods must see the real object.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The adapter factory, with every query outside a transaction made to yield to the event loop first. */
export function yieldingFactory<F extends Factory<object>>(factory: F): F {
  return new Proxy(factory, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'connect' || property === 'connectToShadowDb') {
        const open = (value as () => Promise<object>).bind(target);
        return async () => yieldingAdapter(await open());
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
