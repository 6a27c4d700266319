# Fuzz targets (tests/fuzz/): the PNG reader, the safetensors reader and the model binder.
# Normal builds link each target with a small replay driver and run it over the seed corpora
# and past crashers (so every build, sanitizer builds included, re-checks them); with
# -DFNRT_FUZZ=ON (clang) they link with libFuzzer instead: tools/run-tests.sh runs each for
# a short while, and tests/fuzz/README.md describes longer runs.
set(FNRT_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(FNRT_FUZZ_SEEDS_png ${CMAKE_CURRENT_SOURCE_DIR}/data/pngsuite)
set(FNRT_FUZZ_SEEDS_safetensors ${FNRT_FUZZ_DIR}/corpus/safetensors)
set(FNRT_FUZZ_SEEDS_model ${FNRT_FUZZ_DIR}/corpus/model)
foreach(t png safetensors model)
  if(FNRT_FUZZ)
    add_executable(fuzz_${t} ${FNRT_FUZZ_DIR}/fuzz_${t}.c)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(fuzz_${t} ${FNRT_FUZZ_DIR}/fuzz_${t}.c ${FNRT_FUZZ_DIR}/fuzz-replay.c)
    add_test(NAME fuzz_replay_${t} COMMAND fuzz_${t} ${FNRT_FUZZ_SEEDS_${t}}
             ${FNRT_FUZZ_DIR}/regressions/${t})
    set_tests_properties(fuzz_replay_${t} PROPERTIES LABELS "unit;io;fuzz" TIMEOUT 120
      ENVIRONMENT "${FNRT_TEST_ENV}")
  endif()
  target_include_directories(fuzz_${t} PRIVATE ${CMAKE_SOURCE_DIR}/host/src)
  target_link_libraries(fuzz_${t} PRIVATE fnrt)
endforeach()
