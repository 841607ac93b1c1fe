#!/bin/sh
# The README's second command: build and run the whole test suite.
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest --output-on-failure -j"${JOBS:-2}"
# The corpus table the suite computed (validate --corpus --cv source; docs/accuracy.md).
if [ -f corpus_cv_source.txt ]; then
  echo "--- public corpus, held out by source (build/corpus_cv_source.txt) ---"
  cat corpus_cv_source.txt
fi
if [ -f corpus_serving_cv.txt ]; then
  echo "--- serving rows of the corpus, held out by source (build/corpus_serving_cv.txt) ---"
  cat corpus_serving_cv.txt
fi
