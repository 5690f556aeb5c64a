/** How many jobs of a run are in each state. */
export function countStates(run: { jobs: ReadonlyMap<string, { state: string }> }): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const job of run.jobs.values()) counts[job.state] = (counts[job.state] ?? 0) + 1;
  return counts;
}
