# End-to-end parity against PyTorch goldens, model loading and graph building.
fnrt_check_test(test_e2e SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_e2e.c LABELS e2e pocl TIMEOUT 900)
fnrt_check_test(test_model SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_model.c LABELS unit model)
