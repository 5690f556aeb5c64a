// Guarantee: aimd() takes only the options the learning limiter uses; the cubic limiter's own
// (slowStart, growth, backoffFactor…) compile only with aimd.cubic() (and some with aimd.classic()),
// and every factory makes an AimdLimiter, usable as a state's rateLimit.
import { expectAssignable, expectError, expectType } from 'tsd';
import { aimd, workflow, type AimdClassicOptions, type AimdCubicOptions, type AimdLimiter, type AimdOptions, type AimdSnapshot } from 'jorb-ts';

type JC = { url: string };
const crawl = workflow<object, object, JC>('crawl');

// Accepted: aimd() with its own options, or none; each factory makes an AimdLimiter.
const learner = aimd({ initial: 50, min: 1, max: 15_000, increaseIntervalMs: 500 });
expectType<AimdLimiter>(learner);
expectType<AimdLimiter>(aimd());
expectType<AimdLimiter>(aimd.cubic({ initial: 50, slowStart: false, growth: 'additive', backoffFactor: 0.7, backoffFrom: 'rate' }));
expectType<AimdLimiter>(aimd.classic({ initial: 100, min: 10, max: 200, backoffDebounceMs: 250, growOnlyWhenLimiting: true }));
crawl.state('fetch', { rateLimit: learner }).to('done').exec(({ jc }) => ({ state: 'done', jc }));
expectType<AimdSnapshot>(learner.snapshot());
expectType<number>(learner.current());

// Rejected: each option of the cubic limiter alone, given to aimd().
expectError(aimd({ slowStart: false }));
expectError(aimd({ initial: 10, slowStartFactor: 4 }));
expectError(aimd({ initial: 10, growth: 'cubic' }));
expectError(aimd({ initial: 10, backoffFactor: 0.7 }));
expectError(aimd({ initial: 10, backoffFrom: 'estimate' }));
expectError(aimd({ initial: 10, backoffDebounceMs: 250 }));
expectError(aimd({ initial: 10, disableBackoffMerge: true }));
expectError(aimd({ initial: 10, growOnlyWhenLimiting: false }));
// ...and the parts aimd.classic() leaves out, given to it; and a wrong type anywhere.
expectError(aimd.classic({ slowStart: true }));
expectError(aimd.classic({ growth: 'cubic' }));
expectError(aimd({ initial: '10' }));
expectError(aimd.cubic({ growth: 'linear' }));

// The option types: aimd()'s are the shared ones; the cubic limiter adds its own, and
// aimd.classic() takes those but the parts it leaves out.
expectType<'initial' | 'min' | 'max' | 'increaseIntervalMs' | 'clock'>({} as keyof AimdOptions);
expectType<'backoffDebounceMs' | 'disableBackoffMerge' | 'slowStart' | 'slowStartFactor' | 'growth' | 'backoffFactor' | 'backoffFrom' | 'growOnlyWhenLimiting'>(
  {} as Exclude<keyof AimdCubicOptions, keyof AimdOptions>,
);
expectType<'backoffDebounceMs' | 'disableBackoffMerge' | 'growOnlyWhenLimiting'>({} as Exclude<keyof AimdClassicOptions, keyof AimdOptions>);
expectAssignable<AimdCubicOptions>({ initial: 1, slowStart: true, backoffDebounceMs: 500 } satisfies AimdCubicOptions);
