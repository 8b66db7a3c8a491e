//! Each epoch: `prepare_beacon_proposer` (every validator's fee recipient, for local payloads), and
//! with `--blinded-payload-builder`, `register_validator` with every validator's
//! `ValidatorRegistrationV1` (fee recipient, gas limit, timestamp, pubkey), signed once and signed
//! again only when the fee recipient or the gas limit changes, so builders see a stable timestamp.

use super::Services;
use beacon_api::ProposerPreparationData;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use types::{PublicKeyBytes, SignedValidatorRegistrationV1, ValidatorRegistrationV1};

/// Registrations already signed, by validator.
#[derive(Debug, Default)]
pub struct SignedRegistrations(Mutex<HashMap<PublicKeyBytes, SignedValidatorRegistrationV1>>);

impl<E: types::EthSpec> Services<E> {
    /// Prepares the proposers and registers them with the builders (through the beacon node).
    pub async fn register(self: &Arc<Self>, registrations: &SignedRegistrations) {
        let indices = self.duties.indices();
        if indices.is_empty() {
            return;
        }
        let preparations: Vec<ProposerPreparationData> = indices
            .iter()
            .map(|(index, pubkey)| ProposerPreparationData {
                validator_index: *index,
                fee_recipient: self.settings.of(pubkey).fee_recipient,
            })
            .collect();
        if let Err(error) = self
            .nodes
            .first_success("proposer preparation", |client| {
                let preparations = preparations.clone();
                async move {
                    client
                        .post_validator_prepare_beacon_proposer(&preparations)
                        .await
                }
            })
            .await
        {
            tracing::warn!(%error, "proposers not prepared");
        }
        if !self.blinded_payload_builder {
            return;
        }
        let now = self.context.now_ms() / 1000;
        let mut signed = Vec::new();
        for pubkey in indices.values() {
            let settings = self.settings.of(pubkey);
            if !settings.builder {
                continue;
            }
            let kept = registrations.0.lock().get(pubkey).cloned();
            let registration = match kept {
                Some(kept)
                    if kept.message.fee_recipient == settings.fee_recipient
                        && kept.message.gas_limit == settings.gas_limit =>
                {
                    kept
                }
                _ => {
                    let message = ValidatorRegistrationV1 {
                        fee_recipient: settings.fee_recipient,
                        gas_limit: settings.gas_limit,
                        timestamp: now,
                        pubkey: *pubkey,
                    };
                    let store = self.store.clone();
                    let to_sign = message.clone();
                    let Ok(Ok(signature)) = self
                        .sign(move || store.sign_validator_registration(&to_sign))
                        .await
                    else {
                        continue;
                    };
                    let fresh = SignedValidatorRegistrationV1 { message, signature };
                    registrations.0.lock().insert(*pubkey, fresh.clone());
                    fresh
                }
            };
            signed.push(registration);
        }
        let count = signed.len();
        match self
            .nodes
            .first_success("validator registration", |client| {
                let signed = signed.clone();
                async move { client.post_validator_register_validator(&signed).await }
            })
            .await
        {
            Ok(()) => tracing::debug!(count, "validators registered with the builders"),
            Err(error) => tracing::warn!(count, %error, "validator registrations failed"),
        }
    }
}
