// Guarantee: a state's concurrency is a number or an adaptive() limit, nothing else; the limit's snapshot is typed.
import { expectError, expectType } from 'tsd';
import { adaptive, workflow, type AdaptiveConcurrency, type AdaptiveReason, type AdaptiveSnapshot, type StateStatus } from 'jorb-ts';

type JC = { url: string };
const crawl = workflow<object, object, JC>('crawl');

// Accepted: a number, or adaptive() with or without options.
const limit = adaptive({ initial: 4, min: 1, max: 64, seed: 7, eventLoopDelay: () => 0 });
expectType<AdaptiveConcurrency>(limit);
crawl.state('fetch', { concurrency: limit }).to('done').exec(({ jc }) => ({ state: 'done', jc }));
crawl.state('fetch', { concurrency: adaptive() }).to('done').exec(({ jc }) => ({ state: 'done', jc }));
crawl.state('fetch', { concurrency: 8 }).to('done').exec(({ jc }) => ({ state: 'done', jc }));

// What it tells: the limit now, and why it is there.
expectType<number>(limit.current());
const snapshot = limit.snapshot();
expectType<AdaptiveSnapshot>(snapshot);
expectType<AdaptiveReason | undefined>(snapshot.last?.reason);
expectType<number | undefined>(({} as StateStatus).limit);

// Rejected: anything else as a concurrency, and an option adaptive() does not have.
expectError(crawl.state('fetch', { concurrency: 'adaptive' }));
expectError(crawl.state('fetch', { concurrency: { initial: 4 } }));
expectError(adaptive({ initial: '4' }));
expectError(adaptive({ maxx: 4 }));
