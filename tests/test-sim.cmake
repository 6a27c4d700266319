# Co-design model (sim/), label "sim": the model library, fnrt-sim and fnrt-quant-eval come
# from sim/fnrt-sim.cmake; tests:
#   test_sim            unit test (Check): data file, op counts = the runtime's, helpers,
#                       published design points within 15 %, sums, search
#   sim_validate        fnrt-sim validate (the two published points, exit status)
#   sim_ops_tiny/_full  fnrt-sim ops: per-stage MACs of the model = fnrt_model_stage_info
#   sim_targets         fnrt-sim targets: U250 fp32 >= 8, int16 >= 40, int8 >= 100 img/s,
#                       each within 80 % of every resource (full-size model)
#   sim_sweep           precision x clock x tile x P sweep -> CSV + SVG, checked
#   sim_quant_tiny      fnrt-quant-eval on the tiny model and tests/data/face-256.png
# The full-size model (random weights, published widths) is made once per build directory
# by tools/random-model.py (fixture sim_full_model).
include(${CMAKE_SOURCE_DIR}/sim/fnrt-sim.cmake)

fnrt_check_test(test_sim SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/sim/test_sim.c LABELS sim unit
  TIMEOUT 120)
target_link_libraries(test_sim PRIVATE fnrt-simmodel)

set(FNRT_SIM_FULL ${CMAKE_BINARY_DIR}/sim/fnr2r-full-seed1.safetensors)
fnrt_script_test(sim_full_model
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/sim/make-full-model.sh ${FNRT_PYTHON}
          ${CMAKE_SOURCE_DIR} ${FNRT_SIM_FULL}
  LABELS sim TIMEOUT 120)
set_tests_properties(sim_full_model PROPERTIES FIXTURES_SETUP sim_full)

fnrt_script_test(sim_validate COMMAND $<TARGET_FILE:fnrt-sim> validate LABELS sim TIMEOUT 30)
fnrt_script_test(sim_ops_tiny COMMAND $<TARGET_FILE:fnrt-sim> ops
  -m ${CMAKE_SOURCE_DIR}/tests/data/fnr2r-tiny.safetensors LABELS sim TIMEOUT 30)
fnrt_script_test(sim_ops_full COMMAND $<TARGET_FILE:fnrt-sim> ops -m ${FNRT_SIM_FULL}
  LABELS sim TIMEOUT 60)
fnrt_script_test(sim_targets COMMAND $<TARGET_FILE:fnrt-sim> targets -m ${FNRT_SIM_FULL}
  LABELS sim TIMEOUT 60)
fnrt_script_test(sim_sweep
  COMMAND sh -c "'$<TARGET_FILE:fnrt-sim>' sweep -m '${FNRT_SIM_FULL}' --platform u250 \
--prec fp32,int16,int8 --clock 300,250 --tile 1024,2048,4096 --p 8,16,32,64 \
--csv '${CMAKE_BINARY_DIR}/sim/sweep-u250.csv' --svg '${CMAKE_BINARY_DIR}/sim/sweep-u250.svg' && \
'${FNRT_PYTHON}' '${CMAKE_CURRENT_SOURCE_DIR}/sim/check-sweep.py' \
'${CMAKE_BINARY_DIR}/sim/sweep-u250.csv' '${CMAKE_BINARY_DIR}/sim/sweep-u250.svg' 72 6"
  LABELS sim TIMEOUT 120)
set_tests_properties(sim_ops_full sim_targets sim_sweep PROPERTIES FIXTURES_REQUIRED sim_full)
fnrt_script_test(sim_quant_tiny
  COMMAND sh -c "mkdir -p '${CMAKE_BINARY_DIR}/sim' && '$<TARGET_FILE:fnrt-quant-eval>' \
-m '${CMAKE_SOURCE_DIR}/tests/data/fnr2r-tiny.safetensors' \
-i '${CMAKE_SOURCE_DIR}/tests/data/face-256.png' --csv '${CMAKE_BINARY_DIR}/sim/quant-tiny.csv' && \
'${FNRT_PYTHON}' '${CMAKE_CURRENT_SOURCE_DIR}/sim/check-quant.py' '${CMAKE_BINARY_DIR}/sim/quant-tiny.csv'"
  LABELS sim TIMEOUT 120)
