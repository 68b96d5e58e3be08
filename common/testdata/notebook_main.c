/* sifang-notebook: the notebook test service as a daemon, for the service
 * loop's tests. */
#include "notebook_service.h"
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        sf_config_help(stdout, "usage: sifang-notebook (a test service)", NULL);
        sf_settings_help(stdout, sf_server_settings, "notebook");
        sf_settings_help(stdout, sf_process_settings, "notebook");
        return 0;
    }
    return notebook_main();
}
