/** The Error a call fails with; throws when it succeeds or fails with something that is not an Error. */
export async function failure(call: () => unknown): Promise<Error> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error, got ${String(error)}`);
  }
  throw new Error('expected the call to fail, it succeeded');
}
