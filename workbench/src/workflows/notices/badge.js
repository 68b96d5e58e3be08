// The unread count the frame's badge shows: asked of intake when the frame
// starts and every minute, and told at once by the notices page when it
// reads or marks notices (so the badge never lags the page beside it).
import { reactive } from "vue";
import { api } from "../../api.js";
import { intake, session } from "../../session.js";

export const inbox = reactive({ unread: 0 });

export function noticesChanged(unread) {
  inbox.unread = Number(unread) || 0;
}

export async function refreshUnread() {
  if (!session.account || !session.staffId) return;
  try {
    const reply = await api.get(intake("/v1/intake/notices"), { unread_only: true, page_size: 1 });
    noticesChanged(reply.unread);
  } catch {
    /* the badge waits for the next turn */
  }
}
