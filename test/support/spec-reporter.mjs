// Mocha's spec reporter, plus a line for each failure that a retry (`retries` in .mocharc) then hid: the spec
// reporter shows such a test as passed, so a flaky test would go unseen. .ci/run repeats these lines at its end.
import Mocha from 'mocha';

export default class SpecReporterWithRetries extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.on(Mocha.Runner.constants.EVENT_TEST_RETRY, (test, error) => {
      const reason = String(error?.message ?? error).split('\n')[0];
      console.log(`RETRIED after a failure: ${test.fullTitle()}: ${reason}`);
    });
  }
}
