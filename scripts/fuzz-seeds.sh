# Sourced by scripts/fuzz.sh and scripts/fuzz-campaign.sh: the shipped files each harness
# starts from (catalog, scenarios, model configs, profiles, public CSVs, fixtures, seeds and the
# bad-input corpus). Paths are relative to the repository root.
seeds() {
  case "$1" in
    system_yaml) echo hwmodels/catalog/*.yaml tests/fixtures/hw/*.yaml tests/bad_inputs/hardware/* ;;
    scenario_yaml) echo scenarios/*.yaml tests/bench/*.yaml tests/bad_inputs/scenario/* tests/bad_inputs/serve/* \
                        tests/bad_inputs/train/* ;;
    hf_config) echo workloads/models/*.json tests/fixtures/models/*.json tests/runner/fixtures/*.json \
                    tests/bad_inputs/models/* ;;
    software_profile) echo hwmodels/profiles/*.yaml tests/bad_inputs/profiles/* ;;
    measurements) echo tests/fuzz/seeds/measurements/* tests/bad_inputs/measurements/*.pb ;;
    public_csv) echo validate/data/*.csv tests/runner/fixtures/*.csv tests/bad_inputs/measurements/*.csv ;;
    request_trace) echo tests/fuzz/seeds/request_trace/* tests/bad_inputs/traces/* ;;
    chakra_et) echo tests/fuzz/seeds/chakra_et/* tests/bad_inputs/chakra/* ;;
    gguf) echo tests/fuzz/seeds/gguf/* ;;
    corpus_csv) echo validate/data/corpus/*.csv ;;
    sharegpt) echo tests/fuzz/seeds/sharegpt/* tests/bad_inputs/datasets/* tests/fixtures/serving/*.json ;;
    sweep_manifest) echo tests/fuzz/seeds/sweep_manifest/* ;;
  esac
}
