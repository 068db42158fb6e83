# Several relays of several organisations on one devnet whose gateways have N attesters
# (CAUSEWAY_DEVNET_ATTESTERS): each further relay gets its own vote key (the manifest's
# keys.vote[i]), gas accounts, store and API address, derived from relay 1's config. Sourced by
# tests/e2e/multiorg_test.sh and tests/bench/relay_bench.sh, which provide $root, $work, $config
# (relay 1's config), $manifest, $bin and fail.
# Gas accounts are anvil's funded development accounts: 0 is the deployer and the driver's sender,
# 1 and 2 the manifest's (relay 1), 2n-1 on a and 2n on b relay n (so up to relay 4 of the ten).
# shellcheck shell=bash
# shellcheck disable=SC2154 # $work, $config, $manifest and $bin are the sourcing script's

tools="${CAUSEWAY_NODE_TOOLS:-$root/deploy/devnet}"

dev_keys() {  # dev_keys INDEX...: $work/gas-INDEX.key for each account INDEX, mode 0600
  node -e '
    const { createRequire } = require("module");
    const { ethers } = createRequire(process.argv[1] + "/package.json")("ethers");
    const [, work, ...indexes] = process.argv.slice(1);
    const phrase = "test test test test test test test test test test test junk";
    for (const i of indexes) {
      const w = ethers.HDNodeWallet.fromPhrase(phrase, undefined, "m/44\x27/60\x27/0\x27/0/" + i);
      require("fs").writeFileSync(work + "/gas-" + i + ".key", w.privateKey + "\n", {mode: 0o600});
    }' "$tools" "$work" "$@"
  # The e2e harness's check_no_secrets looks for every entry of $secrets in logs and API answers.
  local i
  for i in "$@"; do secrets+=("$(head -n 1 "$work/gas-$i.key")"); done
}

# derive_config OUT VOTE_INDEX GAS_A GAS_B STORE LISTEN: relay 1's config with another vote key,
# gas accounts (dev_keys indexes), store and API address.
derive_config() {
  node -e '
    const fs = require("fs");
    const [out, config, manifest, vote, gasA, gasB, store, listen] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(config));
    const m = JSON.parse(fs.readFileSync(manifest));
    c.relay.vote_key = {raw_file: m.keys.vote[Number(vote)].file};
    c.relay.store = store;
    c.relay.listen = listen;
    for (const chain of c.chains) chain.gas_key = {raw_file: chain.name === "a" ? gasA : gasB};
    fs.writeFileSync(out, JSON.stringify(c, null, 2));' \
    "$1" "$config" "$manifest" "$2" "$work/gas-$3.key" "$work/gas-$4.key" "$5" "$6"
  "$bin" config check "$1" >/dev/null || fail "$1 does not load"
}
