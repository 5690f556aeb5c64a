// reportRun / formatReport: errors grouped by the shape of their message, with counts that add up,
// states in the workflow's order.
import { describe, expect, it } from 'vitest';
import { formatReport, Processor, reportRun, workflow } from '../src/index.js';
import { runWithFakeClock } from '../src/testing/index.js';

type JC = { n: number };
const wf = workflow<object, object, JC>('pages')
  .state('fetch', { concurrency: 4, retry: { attempts: 1, then: 'failed' } })
  .to('parse', 'failed')
  .exec(({ jc }) => {
    if (jc.n % 3 === 0) throw new Error(`GET https://example.test/page/${jc.n}: HTTP 503`);
    if (jc.n % 3 === 1) throw new Error(`GET https://example.test/page/${jc.n}?id=${(0x9f3a0000 + jc.n).toString(16)}abcd: HTTP 404`);
    return { state: 'parse', jc };
  })
  .state('parse')
  .to('done')
  .exec(({ jc }) => (jc.n === 5 ? { state: 'done', jc, error: `odd page ${jc.n}` } : { state: 'done', jc }))
  .terminal('done', 'failed')
  .build();

describe('reportRun', () => {
  it('groups messages by shape (URLs, ids and numbers masked, HTTP statuses kept): counts add up, states in declared order', async () => {
    const run = wf.newRun('r', {});
    for (let n = 0; n < 30; n++) run.add({ n }, 'fetch');
    await runWithFakeClock(wf, {}, run);
    const report = reportRun(run, wf);
    expect(report.states.map((s) => s.state)).toEqual(['fetch', 'parse', 'done', 'failed']);
    const fetch = report.errors.find((e) => e.state === 'fetch');
    expect(fetch?.count).toBe(20);
    expect(fetch?.top.map((t) => [t.message, t.count])).toEqual([
      ['GET <url>: HTTP 503', 10],
      ['GET <url>: HTTP 404', 10],
    ]);
    expect(fetch?.top[0]?.example).toBe('GET https://example.test/page/0: HTTP 503');
    expect(fetch?.others).toEqual({ count: 0, kinds: 0 });
    const text = formatReport(report);
    expect(text).toContain('  fetch (20 errors):\n        10 × GET <url>: HTTP 503   e.g. job "0", "3", "6" (as in "GET https://example.test/page/0: HTTP 503")');
    expect(text).toContain('  parse (1 error):\n         1 × odd page <n>   e.g. job "5" (as in "odd page 5")');
    expect(text).toContain('Kicks: 30 jobs added, 0 kicked, deepest chain 0');
  });

  it('past the top kinds, the rest are counted so the numbers still add up', async () => {
    const many = workflow<object, object, JC>('many')
      .state('work', { retry: { attempts: 1, then: 'failed' } })
      .to('done', 'failed')
      .exec(({ jc }) => {
        throw new Error(`${['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'][jc.n % 7]} broke`);
      })
      .terminal('done', 'failed')
      .build();
    const run = many.newRun('r', {});
    for (let n = 0; n < 21; n++) run.add({ n }, 'work');
    await new Processor(many, {}).exec(run);
    const work = reportRun(run).errors[0];
    expect(work?.count).toBe(21);
    expect(work?.top).toHaveLength(5);
    expect(work?.others).toEqual({ count: 6, kinds: 2 });
    expect((work?.top ?? []).reduce((sum, t) => sum + t.count, 0) + (work?.others.count ?? 0)).toBe(21);
    expect(formatReport(reportRun(run))).toContain('         6 × 2 other kinds of message');
  });
});
