/** Bad input to a command (missing file, no such export…): printed as one line, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
