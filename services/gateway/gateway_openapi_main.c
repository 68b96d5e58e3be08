/* sifang-gateway-openapi: prints the gateway's OpenAPI document, to keep
 * services/gateway/openapi.json in step with the route table:
 *     build/services/gateway/sifang-gateway-openapi > services/gateway/openapi.json */
#include "gateway_openapi.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr,
                "usage: sifang-gateway-openapi > services/gateway/openapi.json\n"
                "Prints the OpenAPI 3 document of the gateway's routes (from its route table and\n"
                "the services' protobuf descriptors).\n");
        return strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? 0 : 2;
    }
    cJSON *document = gateway_openapi_document();
    char *text = document ? cJSON_Print(document) : NULL;
    cJSON_Delete(document);
    if (!text) {
        fprintf(stderr, "sifang-gateway-openapi: out of memory\n");
        return 1;
    }
    printf("%s\n", text);
    free(text);
    return fflush(stdout) == 0 ? 0 : 1;
}
