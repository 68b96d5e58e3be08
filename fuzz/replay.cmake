# Included from tests/CMakeLists.txt in every build: the fuzz targets as plain
# programs that replay their seed corpora and every crash ever found
# (fuzz/regressions/<target>/), and fuzz_short, which runs the libFuzzer
# binaries of a fuzz build (scripts/fuzz.sh) for a few seconds each when one
# exists, and is skipped otherwise. See fuzz/README.md.
set(fuzz_dir "${PROJECT_SOURCE_DIR}/fuzz")
set(SIFANG_FUZZ_BUILD_DIR "${PROJECT_SOURCE_DIR}/build-fuzz" CACHE PATH
    "The fuzz build (scripts/fuzz.sh) whose targets the fuzz_short test runs")

foreach(target envelope bodies gateway)
  if(target STREQUAL "gateway" AND NOT TARGET sifang_gateway_core)
    continue()
  endif()
  add_executable(fuzz_replay_${target} "${fuzz_dir}/fuzz_${target}.c" "${fuzz_dir}/replay_main.c")
  target_include_directories(fuzz_replay_${target} PRIVATE "${fuzz_dir}")
  if(target STREQUAL "gateway")
    target_link_libraries(fuzz_replay_${target} PRIVATE sifang_gateway_core)
  else()
    target_link_libraries(fuzz_replay_${target} PRIVATE sifang_common)
  endif()
  add_test(NAME fuzz_replay_${target}
           COMMAND fuzz_replay_${target} "${fuzz_dir}/corpus/${target}" "${fuzz_dir}/regressions/${target}")
  set_tests_properties(fuzz_replay_${target} PROPERTIES LABELS "unit;fuzz" TIMEOUT 120)
endforeach()

if(TARGET sifang_gateway_core)
  add_executable(fuzz-seeds "${fuzz_dir}/fuzz_seeds.c")
  target_link_libraries(fuzz-seeds PRIVATE sifang_gateway_core)
endif()

add_test(NAME fuzz_short
         COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/fuzz.sh" --run-only --seconds 4
                 --build-dir "${SIFANG_FUZZ_BUILD_DIR}" --skip-missing)
set_tests_properties(fuzz_short PROPERTIES LABELS "fuzz" TIMEOUT 120 SKIP_RETURN_CODE 77)
