# Synthetic face generator (host/tools/facegen): the renderer against an analytic sphere,
# with a tiny model the test writes itself (no dependency on ../shared).  The test compiles
# the generator's sources, all but the command-line front end.
file(GLOB FNRT_FACEGEN_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/host/tools/facegen/*.c)
list(FILTER FNRT_FACEGEN_TEST_SOURCES EXCLUDE REGEX "/facegen-main\\.c$")
fnrt_check_test(test_facegen SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_facegen.c
  ${FNRT_FACEGEN_TEST_SOURCES} LABELS unit facegen)
target_include_directories(test_facegen PRIVATE ${CMAKE_SOURCE_DIR}/host/tools/facegen)
