# Regenerates a committed golden file with its Node generator and fails on any difference, so the
# committed vectors and the pinned ethers never drift. Run with cmake -P and
# -DNODE=<node> -DGENERATOR=<script.mjs> -DCOMMITTED=<file> -DOUTPUT=<scratch file>.
foreach(var NODE GENERATOR COMMITTED OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "compare_regenerated.cmake needs -D${var}=...")
  endif()
endforeach()

file(REMOVE "${OUTPUT}")
execute_process(COMMAND "${NODE}" "${GENERATOR}" --out "${OUTPUT}" RESULT_VARIABLE generated)
if(NOT generated EQUAL 0)
  message(FATAL_ERROR "${GENERATOR} failed (${generated})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${COMMITTED}" "${OUTPUT}" RESULT_VARIABLE differs)
if(NOT differs EQUAL 0)
  find_program(DIFF diff)
  if(DIFF)
    execute_process(COMMAND "${DIFF}" -u "${COMMITTED}" "${OUTPUT}")
  endif()
  message(FATAL_ERROR "${COMMITTED} differs from what ${GENERATOR} computes now; rerun it and review the change")
endif()
message(STATUS "${COMMITTED} regenerates identically")
