# Helpers shared by every CMakeLists.txt: embedding a service's migrations in
# its binary, and registering unit tests.

# sifang_embed_migrations(<target> <dir>): compiles every NNN_name.sql in <dir>
# into a C table `<target>_migrations` (see common/sf_migrate.h) so a daemon
# carries its schema with it and needs no install path.
function(sifang_embed_migrations target dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  list(SORT sql_files)
  string(MAKE_C_IDENTIFIER "${target}" ident)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ident}_migrations.c")
  # One argument for the script: a CMake list would be split into several.
  list(JOIN sql_files "|" files_arg)
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DIDENT=${ident} "-DFILES=${files_arg}"
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
    DEPENDS ${sql_files} "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
    COMMENT "Embedding migrations of ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()

# sifang_daemon(<service> <source>... [LIBS <lib>...]): the daemon
# sifang-<service> as every service builds it: its settings table alone as
# the library sifang_<service>_settings (<service>_settings.c, which
# sifang-settings in tools/ also links to print the docs' and the deployment
# check's lists), the executable from the sources with its migrations
# embedded, its own headers found, linked with its settings, common and
# LIBS, and installed.
function(sifang_daemon service)
  cmake_parse_arguments(D "" "" "LIBS" ${ARGN})
  add_library(sifang_${service}_settings STATIC ${service}_settings.c)
  target_include_directories(sifang_${service}_settings PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
  target_link_libraries(sifang_${service}_settings PUBLIC sifang_common)
  add_executable(sifang-${service} ${D_UNPARSED_ARGUMENTS})
  sifang_embed_migrations(sifang-${service} ${CMAKE_CURRENT_SOURCE_DIR}/migrations)
  target_include_directories(sifang-${service} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
  target_link_libraries(sifang-${service} PRIVATE sifang_${service}_settings sifang_common ${D_LIBS})
  install(TARGETS sifang-${service} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# sifang_unit_test(<name> <source>... LIBS <lib>...): a test binary run by ctest.
function(sifang_unit_test name)
  cmake_parse_arguments(T "" "" "LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;${T_LABELS}" TIMEOUT 120)
endfunction()

# sifang_pg_test(<name> <source>... [LIBS <lib>...] [LABELS <label>...]
#                [TIMEOUT <s>]): a C test that uses the test cluster (and
# usually starts daemons). Links sifang_testlib; runs under the fixture.
function(sifang_pg_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE sifang_testlib ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES
                       FIXTURES_REQUIRED pg_cluster
                       ENVIRONMENT "SIFANG_TEST_PG=${SIFANG_TEST_PG_DIR}"
                       LABELS "integration;${T_LABELS}"
                       TIMEOUT ${T_TIMEOUT})
endfunction()
