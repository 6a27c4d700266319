# Hostile input, faults and concurrency (see README "Security"): wide models refused with a
# clear error, device allocation refusal, two sessions in two threads, Ctrl-C in a batch.
fnrt_check_test(test_limits SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_limits.c
  LABELS unit model pocl TIMEOUT 300)
target_link_libraries(test_limits PRIVATE PkgConfig::JANSSON)
fnrt_check_test(test_threads SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_threads.c
  LABELS unit threads pocl TIMEOUT 600)
fnrt_script_test(test_signals COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_signals.sh
  LABELS cli pocl TIMEOUT 300)
