# XRT backend (label xrt): the host flow under XRT's noop shim with metadata-only xclbins from
# fnrt-mkxclbin (tests/test_xrt.c).  Without XRT (libxrt-dev) the test is reported skipped.
if(FNRT_HAVE_XRT)
  get_filename_component(FNRT_XRT_LIBDIR ${FNRT_XRT_COREUTIL} DIRECTORY)
  fnrt_check_test(test_xrt SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt.c
    LABELS unit xrt TIMEOUT 600)
  target_include_directories(test_xrt PRIVATE ${FNRT_XRT_INCLUDE_DIR})
  add_dependencies(test_xrt fnrt-mkxclbin)
  set_property(TEST test_xrt APPEND PROPERTY ENVIRONMENT
    "FNRT_MKXCLBIN=$<TARGET_FILE:fnrt-mkxclbin>" "FNRT_XRT_LIBDIR=${FNRT_XRT_LIBDIR}")
  fnrt_script_test(test_xrt_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt_cli.sh
    LABELS cli xrt TIMEOUT 300)
  set_property(TEST test_xrt_cli APPEND PROPERTY ENVIRONMENT
    "FNRT_MKXCLBIN=$<TARGET_FILE:fnrt-mkxclbin>" "FNRT_XRT_LIBDIR=${FNRT_XRT_LIBDIR}")
else()
  add_test(NAME test_xrt COMMAND sh -c
    "echo 'SKIP: XRT not installed (apt-get install libxrt-dev libxrt1): xrt backend not built'; exit 77")
  set_tests_properties(test_xrt PROPERTIES LABELS "unit;xrt" SKIP_RETURN_CODE 77)
endif()

# The OpenCL backend's Xilinx flow (xclbin as program binary): selection and errors on PoCL.
fnrt_check_test(test_xrt_opencl SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt_opencl.c
  LABELS unit pocl xrt TIMEOUT 300)
