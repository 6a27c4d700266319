# The session executor: stage plan, tiled chains, streams, high-resolution refinement
# (tests/test_pipeline.c), and the `fnrt plan` / `fnrt bench` commands (smoke, no timing
# assertions; tests/test_pipeline_cli.sh).
fnrt_check_test(test_pipeline SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_pipeline.c
  LABELS pipeline pocl TIMEOUT 900)
fnrt_script_test(test_pipeline_cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_pipeline_cli.sh
  LABELS pipeline cli pocl TIMEOUT 900)
