# Trust and diagnosis: fnrt diff, fnrt doctor, fallback and stage reporting, bounded waits,
# determinism.
fnrt_check_test(test_sha256 SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sha256.c LABELS unit diag)
fnrt_script_test(test_diag COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_diag.sh LABELS diag pocl TIMEOUT 900)
fnrt_check_test(test_timeout SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_timeout.c LABELS diag pocl TIMEOUT 600)
