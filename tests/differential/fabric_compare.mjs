// Differential test for relay/verify/fabric_block: decodes the fixture blocks with the pinned
// npm @hyperledger/fabric-protos (google-protobuf generated code, independent of our reader) and
// compares header fields, envelope and metadata counts, tx ids, creators, chaincode names,
// endorsers and event names with what fabric_dump (the C++ decoder) prints.
//
// Usage: node fabric_compare.mjs <fabric_dump binary> <vectors dir>
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const nodeTools = createRequire(new URL('../../deploy/devnet/package.json', import.meta.url));
const { common, peer, msp } = nodeTools('@hyperledger/fabric-protos');

const [dumpBinary, vectorsDir] = process.argv.slice(2);
if (!dumpBinary || !vectorsDir) throw new Error('usage: node fabric_compare.mjs <fabric_dump> <vectors dir>');

const hex = (u8) => Buffer.from(u8).toString('hex');
const text = (u8) => Buffer.from(u8).toString('utf8');

// What the oracle decodes, in fabric_dump's shape.
function oracle(bytes) {
  const block = common.Block.deserializeBinary(bytes);
  const header = block.getHeader();
  const envelopes = block.getData().getDataList_asU8();
  const transactions = envelopes.map((raw) => {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(raw).getPayload_asU8());
    const channel = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
    const signature = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader_asU8());
    const creator = signature.getCreator_asU8().length
      ? msp.SerializedIdentity.deserializeBinary(signature.getCreator_asU8()).getMspid() : '';
    const actions = [];
    if (channel.getType() === common.HeaderType.ENDORSER_TRANSACTION) {
      for (const action of peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()) {
        const endorsed = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction();
        const prp = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
        const cc = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
        const events = cc.getEvents_asU8();
        actions.push({
          chaincode_name: cc.getChaincodeId()?.getName() ?? '',
          chaincode_version: cc.getChaincodeId()?.getVersion() ?? '',
          response_status: cc.getResponse()?.getStatus() ?? 0,
          endorsers: endorsed.getEndorsementsList().map(
            (e) => msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8()).getMspid()),
          event_name: events.length ? peer.ChaincodeEvent.deserializeBinary(events).getEventName() : null,
        });
      }
    }
    return { type: channel.getType(), channel_id: channel.getChannelId(), tx_id: channel.getTxId(),
             creator_mspid: creator, actions };
  });
  return {
    number: header.getNumber(),
    previous_hash: hex(header.getPreviousHash_asU8()),
    data_hash: hex(header.getDataHash_asU8()),
    envelope_count: envelopes.length,
    metadata_count: block.getMetadata().getMetadataList().length,
    transactions,
  };
}

const files = [join(vectorsDir, 'fabric', 'block3.pb')];
const prodDir = join(vectorsDir, 'fabric', 'sample_prod_blocks');
for (const name of readdirSync(prodDir).sort()) if (name.endsWith('.pb')) files.push(join(prodDir, name));

const ours = JSON.parse(execFileSync(dumpBinary, files, { encoding: 'utf8', maxBuffer: 1 << 26 }));
let disagreements = 0;
let fields = 0;
function compare(path, a, b) {
  if (Array.isArray(b) || (b !== null && typeof b === 'object')) {
    if (a === null || typeof a !== 'object' || Object.keys(a).length !== Object.keys(b).length) {
      console.error(`DISAGREE ${path}: ours ${JSON.stringify(a)} oracle ${JSON.stringify(b)}`);
      ++disagreements;
      return;
    }
    for (const key of Object.keys(b)) compare(`${path}.${key}`, a[key], b[key]);
    return;
  }
  ++fields;
  if (a !== b) {
    console.error(`DISAGREE ${path}: ours ${JSON.stringify(a)} oracle ${JSON.stringify(b)}`);
    ++disagreements;
  }
}
for (const file of files) compare(file, ours[file], oracle(readFileSync(file)));
const version = JSON.parse(readFileSync(nodeTools.resolve('@hyperledger/fabric-protos/package.json'), 'utf8')).version;
console.log(`[vectors] differential.fabric: ${files.length} blocks, ${fields} fields compared ` +
            `against @hyperledger/fabric-protos ${version}`);
if (disagreements > 0 || fields === 0) {
  console.error(`${disagreements} disagreements`);
  process.exit(1);
}
