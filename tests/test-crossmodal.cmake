# The cross-modal network (Abrevaya et al. 2020): its new ops on OpenCL against the reference
# backend, end-to-end parity of both modes (image, normal-ae) against PyTorch goldens on both
# backends, the CLI (--mode, info), and the full published size (slow).
fnrt_check_test(test_ops_crossmodal
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_ops_crossmodal.c
          ${CMAKE_CURRENT_SOURCE_DIR}/test-ops-util.c
  LABELS unit ops pocl crossmodal TIMEOUT 1200)
fnrt_check_test(test_e2e_crossmodal SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_e2e_crossmodal.c
  LABELS e2e pocl crossmodal TIMEOUT 900)
fnrt_script_test(test_cli_crossmodal COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_crossmodal.sh
  LABELS cli pocl crossmodal TIMEOUT 600)
fnrt_script_test(test_fullsize_crossmodal
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_fullsize_crossmodal.sh
  LABELS slow pocl crossmodal TIMEOUT 1200)
