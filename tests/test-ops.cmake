# Every op of the OpenCL backend against the reference backend, plus the OpenCL backend's
# device selection, program cache and error paths (tests/test_ops.c).
fnrt_check_test(test_ops
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ops.c ${CMAKE_CURRENT_SOURCE_DIR}/test-ops-util.c
  LABELS unit ops pocl TIMEOUT 1200)
