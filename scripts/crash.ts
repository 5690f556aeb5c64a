// `npm run crash -- --kills 100 [--seed N] [--jobs N] [--verbose]`: a crash campaign on demand
// (scripts/crash-campaign.ts). Child processes run a workflow on a JsonlStore and are SIGKILLed at
// seeded moments, then restarted; some runs live in a tmpfs that is filled up (ENOSPC), some starts
// are two processes racing for the run. Prints the figures (lost jobs, duplicate children,
// transitions applied twice, time to resume, lock races, full-disk rounds), PASS/FAIL lines and,
// last, one JSON object with every figure. Exit code 1 on any failure, with the seed and the
// command that replays it.
//
//   --kills N     SIGKILLs in all (default 100)
//   --seed N      the schedule's seed (default 1): the same seed draws the same kills, races and disks
//   --jobs N      seed jobs per run (default 1000; a run grows to about 2.2 times as many jobs)
//   --verbose     a line per start of a child process
//   --no-mount    do not mount a tmpfs even as root: the full-disk rounds use a filler file in /dev/shm
//                 if that is small enough, else they are skipped (said so): what a user without mount gets
//   --sabotage    checker self-test: the children acknowledge without writing; the campaign must FAIL
import { parseArgs } from 'node:util';
import { formatResult, runCampaign, stopAllWorkers, unmountAll } from './crash-campaign.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '1000' },
    verbose: { type: 'boolean', default: false },
    sabotage: { type: 'boolean', default: false },
    'no-mount': { type: 'boolean', default: false },
  },
});

function count(name: string, text: string, min: number): number {
  const n = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`crash: --${name} must be an integer from ${min} up, got ${JSON.stringify(text)}`);
  return n;
}

const kills = count('kills', values.kills, 0);
const seed = count('seed', values.seed, 0);
const jobs = count('jobs', values.jobs, 20);

// Ctrl-C or a kill: no child left running, no tmpfs left mounted.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAllWorkers().finally(() => {
      unmountAll();
      console.log(`crash: stopped by ${signal}; seed ${seed}; replay with: npm run crash -- --kills ${kills} --seed ${seed} --jobs ${jobs}`);
      process.exit(130);
    });
  });
}

console.log(`crash campaign: --kills ${kills} --seed ${seed} --jobs ${jobs}`);
const result = await runCampaign({ kills, seed, jobs, verbose: values.verbose, sabotage: values.sabotage, noMount: values['no-mount'], log: (line) => console.log(line) });
for (const line of formatResult(result)) console.log(line);
console.log(JSON.stringify({ passed: result.passed, replay: result.replay, ...result.figures, failures: result.failures.length }));
process.exitCode = result.passed ? 0 : 1;
