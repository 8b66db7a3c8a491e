//! The relay's preset-independent state: keys, fault switches, counters, the validator registry and the
//! payload attributes it was told about.

use crate::faults::{InvalidPayloadFault, RelayFaults};
use crate::stats::Metrics;
use bls::{PublicKey, SecretKey, Signature};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use types::{
    compute_signing_root, Address, ChainSpec, ExecutionBlockHash, Hash256, PayloadAttributesEvent,
    PublicKeyBytes, Root, SignedValidatorRegistrationV1, Slot, ValidatorRegistrationV1, U256,
};

/// builder-specs `MAX_REGISTRATION_LOOKAHEAD`: how far in the future a registration's timestamp may be.
pub const MAX_REGISTRATION_LOOKAHEAD: u64 = 10;

/// Payload attributes are kept for this many slots behind the newest one.
const ATTRIBUTES_KEPT_SLOTS: u64 = 64;

/// Published block roots kept for inspection.
const PUBLISHED_KEPT: usize = 1024;

/// What every handler shares, whatever the preset.
pub(crate) struct Core {
    pub spec: ChainSpec,
    pub genesis_validators_root: Hash256,
    pub secret_key: SecretKey,
    pub pubkey: PublicKeyBytes,
    /// The key of the `wrong_pubkey` fault: another builder's.
    pub other_key: SecretKey,
    pub bid_bonus_wei: U256,
    pub faults: Mutex<RelayFaults>,
    pub metrics: Metrics,
    pub registrations: Mutex<HashMap<PublicKeyBytes, ValidatorRegistrationV1>>,
    attributes: Mutex<BTreeMap<(Slot, ExecutionBlockHash), PayloadAttributesEvent>>,
    published: Mutex<Vec<Root>>,
}

/// A refused registration: which entry and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("registration {index} (pubkey {pubkey}): {reason}")]
pub struct RegistrationError {
    pub index: usize,
    pub pubkey: PublicKeyBytes,
    pub reason: String,
}

impl Core {
    pub fn new(
        spec: ChainSpec,
        genesis_validators_root: Hash256,
        secret_key: SecretKey,
        bid_bonus_wei: U256,
        faults: RelayFaults,
        metrics: Metrics,
    ) -> Self {
        let pubkey = secret_key.public_key().to_bytes();
        Self {
            spec,
            genesis_validators_root,
            secret_key,
            pubkey,
            other_key: SecretKey::random(),
            bid_bonus_wei,
            faults: Mutex::new(faults),
            metrics,
            registrations: Mutex::new(HashMap::new()),
            attributes: Mutex::new(BTreeMap::new()),
            published: Mutex::new(vec![]),
        }
    }

    pub fn faults(&self) -> RelayFaults {
        self.faults.lock().clone()
    }

    /// Whether the next bid carries an invalid payload, turning a `once` switch off in the same lock so
    /// that exactly one bid is spoiled however many getHeader calls race for it.
    pub fn take_invalid_payload(&self) -> bool {
        let mut faults = self.faults.lock();
        match faults.invalid_payload {
            InvalidPayloadFault::Off => false,
            InvalidPayloadFault::Always => true,
            InvalidPayloadFault::Once => {
                faults.invalid_payload = InvalidPayloadFault::Off;
                true
            }
        }
    }

    /// Remember the attributes of a proposal, dropping those more than 64 slots older than the newest.
    pub fn on_payload_attributes(&self, event: PayloadAttributesEvent) {
        self.metrics.payload_attributes.inc();
        let slot = event.proposal_slot;
        tracing::debug!(slot, parent_hash = %event.parent_block_hash, "payload attributes");
        let mut map = self.attributes.lock();
        map.insert((slot, event.parent_block_hash), event);
        if let Some(&(newest, _)) = map.keys().next_back() {
            let oldest = newest.saturating_sub(ATTRIBUTES_KEPT_SLOTS);
            map.retain(|(s, _), _| *s >= oldest);
        }
    }

    /// The newest attributes of a proposal on `parent_hash` whose block is `block_number` (how a
    /// `builder_getPayloadV1` request, which names no slot, finds them).
    pub fn attributes_for_parent(
        &self,
        parent_hash: ExecutionBlockHash,
        block_number: u64,
    ) -> Option<PayloadAttributesEvent> {
        self.attributes
            .lock()
            .iter()
            .rev()
            .find(|((_, parent), event)| {
                *parent == parent_hash
                    && event.parent_block_number.saturating_add(1) == block_number
            })
            .map(|(_, event)| event.clone())
    }

    pub fn attributes(
        &self,
        slot: Slot,
        parent_hash: ExecutionBlockHash,
    ) -> Option<PayloadAttributesEvent> {
        self.attributes.lock().get(&(slot, parent_hash)).cloned()
    }

    /// `process_registration` for a batch (without the validator-set checks: the relay has no state).
    /// Each timestamp is checked against `now` plus `MAX_REGISTRATION_LOOKAHEAD` and against the
    /// pubkey's previous registration (earlier entries of the batch included), each signature under the
    /// builder domain. The batch is all or nothing: on the first bad entry nothing is stored, so a
    /// client's retry of the fixed batch sees the same registry as the first attempt.
    ///
    /// Signatures are checked before the registry is locked: they are the slow part (a millisecond
    /// each), and getHeader reads the registry on every call.
    pub fn register(
        &self,
        batch: &[SignedValidatorRegistrationV1],
        now: u64,
    ) -> Result<usize, RegistrationError> {
        let domain = self.spec.builder_domain();
        let refuse = |index: usize, signed: &SignedValidatorRegistrationV1, reason: String| {
            RegistrationError {
                index,
                pubkey: signed.message.pubkey,
                reason,
            }
        };
        let unsigned = batch.iter().enumerate().find_map(|(index, signed)| {
            let timestamp = signed.message.timestamp;
            if timestamp > now.saturating_add(MAX_REGISTRATION_LOOKAHEAD) {
                return Some(refuse(
                    index,
                    signed,
                    format!(
                        "timestamp {timestamp} is more than {MAX_REGISTRATION_LOOKAHEAD} s in the \
                         future (now {now})"
                    ),
                ));
            }
            verify_registration_signature(signed, domain)
                .err()
                .map(|reason| refuse(index, signed, reason))
        });
        // Entries after the first badly signed one are refused with the batch anyway.
        let checked = unsigned.as_ref().map_or(batch.len(), |e| e.index + 1);
        let mut registry = self.registrations.lock();
        let mut accepted: HashMap<PublicKeyBytes, ValidatorRegistrationV1> = HashMap::new();
        for (index, signed) in batch.iter().enumerate().take(checked) {
            let message = &signed.message;
            let previous = accepted
                .get(&message.pubkey)
                .or_else(|| registry.get(&message.pubkey));
            if let Some(previous) = previous.filter(|p| message.timestamp < p.timestamp) {
                return Err(refuse(
                    index,
                    signed,
                    format!(
                        "timestamp {} is older than the previous registration's {}",
                        message.timestamp, previous.timestamp
                    ),
                ));
            }
            accepted.insert(message.pubkey, message.clone());
        }
        if let Some(e) = unsigned {
            return Err(e);
        }
        let count = accepted.len();
        registry.extend(accepted);
        drop(registry);
        self.metrics.registrations.inc_by(batch.len() as u64);
        Ok(count)
    }

    pub fn registration(&self, pubkey: &PublicKeyBytes) -> Option<ValidatorRegistrationV1> {
        self.registrations.lock().get(pubkey).cloned()
    }

    pub fn record_published(&self, root: Root) {
        self.metrics.blocks_published.inc();
        let mut published = self.published.lock();
        published.push(root);
        if published.len() > PUBLISHED_KEPT {
            published.remove(0);
        }
    }

    pub fn published(&self) -> Vec<Root> {
        self.published.lock().clone()
    }
}

/// `key`'s `ValidatorRegistrationV1`, signed under `DOMAIN_APPLICATION_BUILDER` as a validator client
/// signs it: for the tests and harnesses that register with the relay.
pub fn sign_registration(
    spec: &ChainSpec,
    key: &SecretKey,
    fee_recipient: Address,
    gas_limit: u64,
    timestamp: u64,
) -> SignedValidatorRegistrationV1 {
    let message = ValidatorRegistrationV1 {
        fee_recipient,
        gas_limit,
        timestamp,
        pubkey: key.public_key().to_bytes(),
    };
    let root = compute_signing_root(&message, spec.builder_domain());
    SignedValidatorRegistrationV1 {
        message,
        signature: key.sign(root.as_slice()).to_bytes(),
    }
}

/// builder-specs `verify_registration_signature`.
fn verify_registration_signature(
    signed: &SignedValidatorRegistrationV1,
    domain: Hash256,
) -> Result<(), String> {
    let pubkey = PublicKey::try_from(&signed.message.pubkey)
        .map_err(|e| format!("invalid public key: {e:?}"))?;
    let signature =
        Signature::try_from(&signed.signature).map_err(|e| format!("invalid signature: {e:?}"))?;
    let root = compute_signing_root(&signed.message, domain);
    if signature.verify(&pubkey, root.as_slice()) {
        Ok(())
    } else {
        Err("signature does not verify under the builder domain".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Core {
        Core::new(
            ChainSpec::minimal(),
            Hash256::ZERO,
            SecretKey::random(),
            U256::ZERO,
            RelayFaults::default(),
            Metrics::new().unwrap(),
        )
    }

    fn signed(core: &Core, key: &SecretKey, timestamp: u64) -> SignedValidatorRegistrationV1 {
        sign_registration(&core.spec, key, Address::ZERO, 30_000_000, timestamp)
    }

    /// The error names the first bad entry, whichever check finds it, and stores nothing.
    #[test]
    fn the_first_bad_entry_is_named_and_nothing_is_stored() {
        let core = core();
        let (a, b) = (SecretKey::random(), SecretKey::random());
        let mut forged = signed(&core, &b, 100);
        forged.signature = signed(&core, &a, 100).signature;

        let stale_first = [
            signed(&core, &a, 100),
            signed(&core, &a, 99),
            forged.clone(),
        ];
        let e = core.register(&stale_first, 100).unwrap_err();
        assert_eq!(e.index, 1);
        assert!(e.reason.contains("older"), "{e}");

        let forged_first = [signed(&core, &a, 100), forged, signed(&core, &a, 99)];
        let e = core.register(&forged_first, 100).unwrap_err();
        assert_eq!(e.index, 1);
        assert!(e.reason.contains("signature"), "{e}");
        assert!(core.registration(&a.public_key().to_bytes()).is_none());

        let future = [signed(&core, &a, 100 + MAX_REGISTRATION_LOOKAHEAD + 1)];
        assert!(core
            .register(&future, 100)
            .unwrap_err()
            .reason
            .contains("future"));
        let at_limit = [signed(&core, &a, 100 + MAX_REGISTRATION_LOOKAHEAD)];
        assert_eq!(core.register(&at_limit, 100), Ok(1));
    }
}
