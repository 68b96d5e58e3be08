/* A lossy, slow link under concurrent load: grid, intake, employment and
 * volunteer run in a network namespace this test makes (ip netns + a veth
 * pair + tc netem), and every request to them, and evaluation's following
 * of their event logs from outside, crosses the link with delay and loss
 * (heavier for a while in the middle). Afterwards every acknowledged write
 * is there exactly once, nothing unacknowledged is half-written, and
 * evaluation's figures converge to the sources'. Needs root and netns: it
 * fails without them unless SIFANG_SKIP_NETNS=1 asks to skip (exit 77). */
#include "fault_load.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static hs_suite_t suite;
static char netns[32], host_if[32], ns_if[32], host_ip[32], ns_ip[32], ip_path[256];
static bool made;

static int
run(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int
run(const char *format, ...)
{
    char command[512];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    int rc = system(command);
    if (rc != 0)
        printf("fault_netns_test: \"%s\" failed (%d)\n", command, rc);
    return rc == 0 ? 0 : -1;
}

static void
take_down(void)
{
    if (made)
        run("ip netns del %s", netns);   /* takes the veth pair with it */
    made = false;
}

/* Whether the kernel has netem (sch_netem): some (this project's VMs) are
 * built without it; then loss is nftables dropping packets at random in
 * the namespace and delay is a token bucket (tbf) slowing the link, so
 * that segments queue. */
static bool netem;

static bool
shape(int delay_ms, int loss_percent, int rate_kbit)
{
    if (netem)
        return run("tc qdisc replace dev %s root netem delay %dms %dms loss %d%%", host_if, delay_ms, delay_ms / 4,
                   loss_percent) == 0
               && run("ip netns exec %s tc qdisc replace dev %s root netem delay %dms %dms loss %d%%", netns, ns_if,
                      delay_ms, delay_ms / 4, loss_percent) == 0;
    return run("ip netns exec %s nft flush chain inet sfhard input", netns) == 0
           && run("ip netns exec %s nft flush chain inet sfhard output", netns) == 0
           && run("ip netns exec %s nft add rule inet sfhard input iifname %s meta l4proto tcp numgen random mod 100"
                  " '<' %d drop", netns, ns_if, loss_percent) == 0
           && run("ip netns exec %s nft add rule inet sfhard output oifname %s meta l4proto tcp numgen random mod 100"
                  " '<' %d drop", netns, ns_if, loss_percent) == 0
           && run("tc qdisc replace dev %s root tbf rate %dkbit burst 16kb latency %dms", host_if, rate_kbit,
                  delay_ms * 10) == 0
           && run("ip netns exec %s tc qdisc replace dev %s root tbf rate %dkbit burst 16kb latency %dms", netns, ns_if,
                  rate_kbit, delay_ms * 10) == 0;
}

static bool
set_up(void)
{
    int id = (int) (getpid() % 200) + 20;
    snprintf(netns, sizeof netns, "sfhard%d", (int) getpid());
    snprintf(host_if, sizeof host_if, "sfh%dh", (int) getpid() % 100000);
    snprintf(ns_if, sizeof ns_if, "sfh%dn", (int) getpid() % 100000);
    /* Link-local addresses on a link that exists only between this test
     * and its namespace: nothing leaves the machine. */
    snprintf(host_ip, sizeof host_ip, "169.254.%d.1", id);
    snprintf(ns_ip, sizeof ns_ip, "169.254.%d.2", id);
    if (run("ip netns add %s", netns) != 0)
        return false;
    made = true;
    char probe[256];
    snprintf(probe, sizeof probe, "ip netns exec %s tc qdisc add dev lo root netem delay 1ms 2>/dev/null"
             " && ip netns exec %s tc qdisc del dev lo root", netns, netns);
    netem = system(probe) == 0;
    return run("ip link add %s type veth peer name %s", host_if, ns_if) == 0
           && run("ip link set %s netns %s", ns_if, netns) == 0
           && run("ip addr add %s/30 dev %s", host_ip, host_if) == 0
           && run("ip link set %s up", host_if) == 0
           && run("ip netns exec %s ip addr add %s/30 dev %s", netns, ns_ip, ns_if) == 0
           && run("ip netns exec %s ip link set %s up", netns, ns_if) == 0
           && run("ip netns exec %s ip link set lo up", netns) == 0
           && (netem || (run("ip netns exec %s nft add table inet sfhard", netns) == 0
                         && run("ip netns exec %s nft add chain inet sfhard input"
                                " '{ type filter hook input priority 0; }'", netns) == 0
                         && run("ip netns exec %s nft add chain inet sfhard output"
                                " '{ type filter hook output priority 0; }'", netns) == 0))
           && shape(15, 3, 4000);
}

int
main(void)
{
    bool skip_allowed = getenv("SIFANG_SKIP_NETNS") && strcmp(getenv("SIFANG_SKIP_NETNS"), "1") == 0;
    if (geteuid() != 0 || system("command -v ip >/dev/null && command -v tc >/dev/null") != 0) {
        if (skip_allowed) {
            printf("fault_netns_test: SKIPPED: needs root, ip and tc (iproute2); SIFANG_SKIP_NETNS=1 allows it\n");
            return 77;
        }
        SF_FAIL("needs root and iproute2 (ip netns, tc netem); set SIFANG_SKIP_NETNS=1 to skip on purpose");
        return sf_test_done();
    }
    if (!set_up()) {
        take_down();
        if (skip_allowed) {
            printf("fault_netns_test: SKIPPED: network namespaces or netem are not available here\n");
            return 77;
        }
        SF_FAIL("cannot make a network namespace with a netem link; set SIFANG_SKIP_NETNS=1 to skip on purpose");
        return sf_test_done();
    }
    printf("link: %s\n", netem ? "tc netem (delay, loss)" : "no netem in this kernel: nftables random drop (loss) and"
                                                              " tbf (a slow link: queueing delay)");
    FILE *which = popen("command -v ip", "r");
    if (!which || !fgets(ip_path, sizeof ip_path, which))
        snprintf(ip_path, sizeof ip_path, "/usr/sbin/ip");
    if (which)
        pclose(which);
    ip_path[strcspn(ip_path, "\n")] = 0;
    if (!hs_init(&suite, "fault_netns_test", false, NULL))
        goto done;
    /* The sources inside the namespace, on its end of the link. The
     * namespace is this test's alone, so its ports are fixed ones below
     * the kernel's ephemeral range (32768-60999): a free port picked
     * outside could be taken, inside, by the local end of a daemon's own
     * outgoing connection (intake to grid) before the next daemon binds. */
    for (int s = HS_GRID; s <= HS_VOLUNTEER; s++) {
        hs_daemon_t *daemon = &suite.daemons[s];
        snprintf(daemon->endpoint, sizeof daemon->endpoint, "tcp://%s:%d", ns_ip, 21000 + 2 * s);
        snprintf(daemon->publish, sizeof daemon->publish, "tcp://%s:%d", ns_ip, 21001 + 2 * s);
        daemon->wrapper[0] = ip_path;
        daemon->wrapper[1] = "netns";
        daemon->wrapper[2] = "exec";
        daemon->wrapper[3] = netns;
        daemon->wrapper[4] = NULL;
    }
    if (!hs_start_all(&suite) || !hs_load_district(&suite))
        goto done;
    unsigned kinds = (1u << FL_RESIDENT) | (1u << FL_CASE) | (1u << FL_VISIT) | (1u << FL_COURSE) | (1u << FL_KPI);
    fl_load_t *load = fl_start(&suite, "lossy_link", kinds);
    fl_pause_ms(2500);
    long phase[3];
    phase[0] = fl_acknowledged(load);
    SF_CHECK(shape(40, 20, 256));    /* a bad stretch */
    fl_pause_ms(2500);
    phase[1] = fl_acknowledged(load) - phase[0];
    SF_CHECK(shape(15, 3, 4000));
    fl_pause_ms(2000);
    phase[2] = fl_acknowledged(load) - phase[0] - phase[1];
    printf("acknowledged: %ld in 2.5 s on the link with 3%% loss, %ld in 2.5 s with 20%% loss, %ld in 2 s after\n",
           phase[0], phase[1], phase[2]);
    fl_finish(&load);
    fl_converged(&suite, 60000);
    SF_CHECK_EQ_INT(fl_summary(), 0);
done:
    hs_finish(&suite);
    take_down();
    return sf_test_done();
}
