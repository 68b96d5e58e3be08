# Script mode: writes a C file holding each given JSON file as a string
# constant demo_<name>_json, so the demo loader carries its data with it.
set(body "/* Generated from services/evaluation/demo/ (its JSON files) at build time; do not edit. */\n")
string(REPLACE " " ";" FILES "${FILES}")
foreach(f IN LISTS FILES)
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND body "const char demo_${name}_json[] =\n    \"${text}\";\n")
endforeach()
file(WRITE "${OUT}.tmp" "${body}")
file(RENAME "${OUT}.tmp" "${OUT}")
