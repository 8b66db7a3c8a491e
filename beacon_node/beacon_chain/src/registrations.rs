//! Proposers' preparations and builder registrations (DESIGN flow 1). `prepare_beacon_proposer` sets
//! the fee recipient of a validator's local payloads. `register_validator` checks each
//! `SignedValidatorRegistrationV1` (signature under `DOMAIN_APPLICATION_BUILDER`), keeps those of
//! active or pending validators, and forwards them to every builder, in batches, at most once per epoch
//! per validator unless they change.

use crate::BeaconChain;
use execution_layer::ProposerRegistration;
use state_processing::caches::PubkeyCache;
use std::collections::HashMap;
use std::sync::Arc;
use types::{
    compute_signing_root, Address, Epoch, EthSpec, PublicKeyBytes, SignedValidatorRegistrationV1,
};

/// How far ahead of the node's clock a registration's timestamp may be (seconds): builder-specs
/// refuses registrations "too far in the future"; clocks drift a little.
pub const MAX_REGISTRATION_FUTURE_SECONDS: u64 = 10;

/// What the chain keeps of registrations.
#[derive(Debug, Default)]
pub(crate) struct Registrations {
    /// The latest registration of each validator, and the epoch it last went to the builders.
    latest: HashMap<PublicKeyBytes, (SignedValidatorRegistrationV1, Option<Epoch>)>,
    /// Pubkey → validator index of the head state's registry.
    pubkeys: PubkeyCache,
}

impl Registrations {
    /// The registrations kept before a restart (persisted by `register_validators`), each known to
    /// `view` again. None counts as forwarded: the next submission of each goes to the builders.
    pub(crate) fn load(
        store: &store::Store<impl EthSpec>,
        view: &crate::ChainView,
    ) -> Result<Self, store::StoreError> {
        let mut latest = HashMap::new();
        for registration in store.registrations()? {
            let message = &registration.message;
            view.set_registration(
                message.pubkey,
                ProposerRegistration {
                    fee_recipient: message.fee_recipient,
                    gas_limit: message.gas_limit,
                },
            );
            latest.insert(message.pubkey, (registration, None));
        }
        Ok(Self {
            latest,
            pubkeys: PubkeyCache::default(),
        })
    }
}

/// One refused registration: its position in the request and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationFailure {
    /// Its index in the request.
    pub index: usize,
    /// Why it was refused.
    pub message: String,
}

impl<E: EthSpec> BeaconChain<E> {
    /// `prepare_beacon_proposer`: `validator index -> fee recipient` for local payloads, kept with
    /// the epoch it was sent (the beacon API lets a node forget it after a while).
    pub fn prepare_beacon_proposer(&self, preparations: &[(u64, Address)]) {
        let epoch = self.current_slot() / E::slots_per_epoch();
        let mut map = self.preparations.write();
        for (index, fee_recipient) in preparations {
            map.insert(*index, (*fee_recipient, epoch));
        }
    }

    /// The registration kept for `pubkey` (the latest accepted, also across restarts).
    pub fn registration(&self, pubkey: &PublicKeyBytes) -> Option<SignedValidatorRegistrationV1> {
        self.registrations
            .lock()
            .latest
            .get(pubkey)
            .map(|(r, _)| r.clone())
    }

    /// `register_validator`: checks every registration, keeps and forwards the good ones of active or
    /// pending validators (unknown and exited ones are dropped, not refused, as the beacon API says),
    /// and returns the refused ones.
    pub async fn register_validators(
        self: &Arc<Self>,
        registrations: Vec<SignedValidatorRegistrationV1>,
    ) -> Vec<RegistrationFailure> {
        let chain = self.clone();
        let checked = tokio::task::spawn_blocking(move || chain.check_registrations(registrations))
            .await
            .unwrap_or_else(|e| {
                (
                    vec![],
                    vec![RegistrationFailure {
                        index: 0,
                        message: format!("registration check failed to run: {e}"),
                    }],
                )
            });
        let (to_forward, failures) = checked;
        if !to_forward.is_empty() {
            let layer = self.execution_layer.clone();
            // The builders answer within their own timeouts; the caller need not wait for them.
            tokio::spawn(async move {
                let count = to_forward.len();
                for (builder, result) in layer.register_validators(&to_forward).await {
                    if let Err(error) = result {
                        tracing::debug!(%builder, %error, count, "registrations not forwarded");
                    }
                }
            });
        }
        failures
    }

    /// The blocking part of [`Self::register_validators`]: signatures, statuses, what to forward.
    fn check_registrations(
        &self,
        registrations: Vec<SignedValidatorRegistrationV1>,
    ) -> (Vec<SignedValidatorRegistrationV1>, Vec<RegistrationFailure>) {
        let head = self.head();
        let state = &head.state;
        let epoch = self.current_slot() / E::slots_per_epoch();
        let domain = self.spec.builder_domain();
        let now = self.slot_clock.now_seconds();
        let mut failures = Vec::new();
        let mut forward = Vec::new();
        // New or different registrations, persisted in one transaction so a restart keeps them.
        let mut to_store = Vec::new();
        let mut kept = self.registrations.lock();
        kept.pubkeys.update(state);
        for (index, registration) in registrations.into_iter().enumerate() {
            let message = &registration.message;
            if message.timestamp > now + MAX_REGISTRATION_FUTURE_SECONDS {
                failures.push(RegistrationFailure {
                    index,
                    message: format!("timestamp {} is in the future", message.timestamp),
                });
                continue;
            }
            let valid = match (
                bls::PublicKey::try_from(&message.pubkey),
                bls::Signature::try_from(&registration.signature),
            ) {
                (Ok(key), Ok(signature)) => {
                    signature.verify(&key, compute_signing_root(message, domain).as_slice())
                }
                _ => false,
            };
            if !valid {
                failures.push(RegistrationFailure {
                    index,
                    message: format!("invalid signature for {}", message.pubkey),
                });
                continue;
            }
            // Unknown or exited validators are not sent to builders.
            let Some(validator) = kept
                .pubkeys
                .get(&message.pubkey)
                .and_then(|i| state.validators().get(i as usize))
            else {
                continue;
            };
            if validator.exit_epoch <= epoch {
                continue;
            }
            let changed = match kept.latest.get(&message.pubkey) {
                Some((previous, _)) if previous.message.timestamp > message.timestamp => {
                    failures.push(RegistrationFailure {
                        index,
                        message: "older than the registration already kept".into(),
                    });
                    continue;
                }
                Some((previous, _)) => {
                    previous.message.fee_recipient != message.fee_recipient
                        || previous.message.gas_limit != message.gas_limit
                }
                None => true,
            };
            let last_forwarded = kept
                .latest
                .get(&message.pubkey)
                .and_then(|(_, epoch)| *epoch);
            let due = changed || last_forwarded.is_none_or(|e| e < epoch);
            self.view.set_registration(
                message.pubkey,
                ProposerRegistration {
                    fee_recipient: message.fee_recipient,
                    gas_limit: message.gas_limit,
                },
            );
            let forwarded = if due { Some(epoch) } else { last_forwarded };
            if due {
                forward.push(registration.clone());
            }
            if kept.latest.get(&message.pubkey).map(|(r, _)| r) != Some(&registration) {
                to_store.push(registration.clone());
            }
            kept.latest
                .insert(message.pubkey, (registration, forwarded));
        }
        if !to_store.is_empty() {
            let count = to_store.len();
            if let Err(error) = self
                .store
                .do_atomically(vec![store::StoreOp::PutRegistrations(to_store)])
            {
                // Kept and forwarded all the same; only a restart would forget them.
                tracing::warn!(%error, count, "registrations not persisted");
            }
        }
        (forward, failures)
    }
}
