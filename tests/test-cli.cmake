# The fnrt command line: outputs, exit codes, no partial/overwritten files.
fnrt_script_test(test_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.sh LABELS cli pocl TIMEOUT 600)
fnrt_script_test(test_fullsize COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_fullsize.sh LABELS slow pocl TIMEOUT 1200)
fnrt_script_test(test_eval COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_eval.sh LABELS cli e2e pocl TIMEOUT 600)
