// Submitting a form the way the workbench always does: one submit at a
// time; the request's idempotency key kept while its outcome is unknown (no
// answer, 503, 504), so pressing again repeats the same request and cannot
// write twice; a fresh key once the service has answered (a refusal was
// not written, and a changed form is a new request); the service's
// violations by field for the form items, in the reader's language; and
// the form's values left as typed whatever happens.
import { reactive } from "vue";
import { ApiError, newRequestId } from "./api.js";
import { violationText } from "./format.js";

export function useSubmit() {
  const state = reactive({ busy: false, error: null, violations: {} });
  let requestId = null;

  async function run(send) {
    if (state.busy) return undefined;
    state.busy = true;
    state.error = null;
    state.violations = {};
    requestId = requestId || newRequestId();
    try {
      const result = await send(requestId);
      requestId = null;
      return result;
    } catch (error) {
      state.error = error;
      if (error instanceof ApiError) {
        for (const [field, description] of Object.entries(error.violations))
          state.violations[field] = violationText(description);
        if (!error.retryable) requestId = null;
      }
      return undefined;
    } finally {
      state.busy = false;
    }
  }

  // The violation of a field (or of any field below it), for el-form-item's
  // error prop; "" when none.
  function fieldError(field) {
    if (state.violations[field]) return state.violations[field];
    const below = Object.keys(state.violations).find(f => f.startsWith(field + ".") || f.startsWith(field + "["));
    return below ? state.violations[below] : "";
  }

  return { state, run, fieldError, pendingRequestId: () => requestId };
}
