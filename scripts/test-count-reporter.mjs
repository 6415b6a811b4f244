/**
 * A `node --test` reporter that writes one JSON line for scripts/test.mjs: how many
 * tests passed, failed and were skipped, and which files defined no test at all.
 *
 * Node's own summary cannot answer "did anything run": a test file with no tests
 * still counts as one passing test (the file itself), and suites count as tests too.
 */

/**
 * @param {AsyncIterable<{ type: string, data: any }>} source the test runner's events
 * @returns {AsyncGenerator<string>}
 */
export default async function* testCountReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  /** @type {string[]} */
  const emptyFiles = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    const failing = event.type === 'test:fail';
    // With process isolation a file shows up as a test of its own only when it
    // registered no tests, or crashed or timed out as a whole: its name is its path.
    if (data.file !== undefined && data.name === data.file) {
      if (failing) failed += 1;
      else emptyFiles.push(data.file);
    } else if (data.details?.type === 'suite') {
      // A suite fails when a test in it failed (counted there) or when its own hook did.
      if (failing && data.details.error?.failureType !== 'subtestsFailed') failed += 1;
    } else if (data.skip !== undefined || data.todo !== undefined) {
      // A failing `todo` test is expected to fail; Node does not count it either.
      skipped += 1;
    } else if (failing) {
      failed += 1;
    } else {
      passed += 1;
    }
  }
  yield `${JSON.stringify({ passed, failed, skipped, emptyFiles })}\n`;
}
