/* Hand-off between intake instances (docs/operations.md, "City level and
 * hand-off"): a case registered at one instance (a department's intake,
 * intake@civil-affairs) that belongs to another (the district's, which
 * routes it to a community), or the reverse, goes there exactly once with
 * its steps.
 *
 *   1. HandoffCase (the sender's loop): the step HANDOFF_SENT, the case
 *      TRANSFERRED to the instance the rule names, and its row in
 *      case_handoff_out (state SENDING), in the request's transaction.
 *   2. The peers thread asks the receiver's HandoffReceive for every case
 *      still SENDING, always with the request id "handoff/<sender>/<case>":
 *      a retry after any loss (either daemon killed, the reply lost) is
 *      answered with the same case, by the receiver's idempotency store and,
 *      past its retention, by case_handoff_in's unique (sender, case). The
 *      answer goes into handoff_inbox.
 *   3. The sender's loop applies the inbox: the step HANDOFF_LINKED with
 *      the receiving case, the row LINKED, the inbox row deleted, in one
 *      transaction.
 *
 * The receiver makes its case in one transaction: the row, the sender's
 * steps as its first steps, case_handoff_in, and the step HANDOFF_RECEIVED
 * (ACCEPTED, waiting for its desk to assign it), with its event.
 *
 * The target is the hand-off rule's (intake_handoff_rule.h); the receiver
 * checks its own rule, its catalogue and its promises, and refuses what is
 * not its own. A refusal, or a cancel the sender asks (HandoffCancel:
 * HANDOFF_CANCEL_ASKED), puts the row WITHDRAWING (state 5); the peers
 * thread then asks the receiver's HandoffWithdraw for its promise never to
 * make a case for that attempt ("handoff-withdraw/<sender>/<case>/<attempt>";
 * none is needed for an attempt never tried), and the loop brings the case
 * back (HANDOFF_REFUSED or HANDOFF_CANCELLED: the status it was handed
 * from, waiting for its holder, a notice HANDOFF_RETURNED), or links the
 * case the receiver names if it had made one. So the case is at exactly
 * one desk however the calls and the daemons fail. Each next attempt of a
 * case is delivered as "handoff/<sender>/<case>/<attempt>". */
#ifndef INTAKE_HANDOFF_H
#define INTAKE_HANDOFF_H

#include "intake.h"
#include "sf_client.h"
#include "sf_db.h"
#include <stdatomic.h>

typedef struct {
    char instance[96];
    sf_client_t *client;
} intake_handoff_peer_t;

/* The instances this one hands cases to and takes them from, with a client
 * of each (the peers thread's alone). */
typedef struct {
    intake_handoff_peer_t peers[INTAKE_HANDOFF_PEERS_MAX];
    size_t n;
    atomic_llong delivered;         /* hand-offs the receivers answered */
    atomic_llong failures;          /* calls that got no answer */
} intake_handoff_links_t;

/* Whether instance is one of the list's. */
bool intake_handoff_peer_listed(const char *list, const char *instance);

/* Opens a client per peer: its endpoint SIFANG_HANDOFF_<INSTANCE>_ENDPOINT,
 * its CURVE key SIFANG_HANDOFF_<INSTANCE>_PUBLIC_KEY_FILE (the instance
 * upper-cased with '@' and '-' as '_'), acting as self (a service). */
int intake_handoff_links_open(intake_handoff_links_t *links, void *context, const char *list, const char *self,
                              char *error, size_t error_size);
void intake_handoff_links_close(intake_handoff_links_t *links);

/* The peers thread: delivers the cases still SENDING (a round of at most
 * a few dozen), their answers into handoff_inbox. */
void intake_handoff_deliver(intake_handoff_links_t *links, sf_db_t *db, const char *self, const atomic_bool *stop);

/* The loop: the answers in handoff_inbox, each the step HANDOFF_LINKED of
 * its case, in one transaction. Returns the rows applied or -1. */
int intake_handoff_apply_inbox(sf_call_t *call);

/* The methods. */
sf_handler_fn intake_handoff_case, intake_handoff_receive, intake_handoff_cancel, intake_handoff_withdraw;

#endif
