//! Builder registrations through the chain: checked, kept for active or pending validators, and
//! forwarded at most once per epoch per validator unless they change.

use crate::harness::*;
use types::Address;

/// Waits until relay 0 has received `count` registrations, then checks it stays there a moment.
async fn relay_received(env: &Env, count: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while env.relays[0].stats().registrations < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "relay got {} registrations, expected {count}",
            env.relays[0].stats().registrations
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(env.relays[0].stats().registrations, count);
}

fn registration(
    env: &Env,
    validator: u64,
    fee_recipient: Address,
) -> types::SignedValidatorRegistrationV1 {
    let gas_limit = env.el.with_chain(|c| c.head().header.gas_limit);
    mock_relay::sign_registration(
        &env.spec,
        &bls::interop_secret_key(validator),
        fee_recipient,
        gas_limit,
        env.clock_seconds(),
    )
}

#[tokio::test]
async fn registrations_are_checked_kept_and_forwarded_once_per_epoch() {
    // The bench registered all 64 validators at start.
    let env = Env::start("registrations", Options::default()).await;
    relay_received(&env, VALIDATORS).await;

    // The same registrations again in the same epoch: nothing to forward. A changed fee recipient
    // is forwarded, alone.
    env.register_all().await;
    let changed = registration(&env, 3, Address::repeat_byte(0x33));
    let failures = env.chain().register_validators(vec![changed]).await;
    assert!(failures.is_empty(), "{failures:?}");
    relay_received(&env, VALIDATORS + 1).await;
    let kept = env.relays[0]
        .registration(&bls::interop_secret_key(3).public_key().to_bytes())
        .expect("kept by the relay");
    assert_eq!(kept.fee_recipient, Address::repeat_byte(0x33));

    // A bad signature is refused with its index; an unknown validator is dropped, not refused.
    let mut bad = registration(&env, 4, FEE_RECIPIENT);
    bad.signature = registration(&env, 5, FEE_RECIPIENT).signature;
    let unknown = registration(&env, VALIDATORS + 10, FEE_RECIPIENT);
    let good = registration(&env, 6, Address::repeat_byte(0x66));
    let failures = env
        .chain()
        .register_validators(vec![unknown, bad, good])
        .await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].index, 1);
    assert!(
        failures[0].message.contains("signature"),
        "{}",
        failures[0].message
    );
    relay_received(&env, VALIDATORS + 2).await;

    // A new epoch: every kept registration goes out once more.
    env.start_slot(<E as types::EthSpec>::slots_per_epoch())
        .await;
    env.register_all().await;
    relay_received(&env, 2 * VALIDATORS + 2).await;
}

/// Kept registrations survive a restart: the chain knows them (and their builder preferences) before
/// any validator registers again, and still refuses one older than the kept one.
#[tokio::test]
async fn registrations_are_kept_across_a_restart() {
    let mut env = Env::start("registrations_restart", Options::default()).await;
    let changed = registration(&env, 5, Address::repeat_byte(0xab));
    let pubkey = changed.message.pubkey;
    let failures = env.chain().register_validators(vec![changed.clone()]).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(env.chain().registration(&pubkey), Some(changed.clone()));

    env.restart_without_registering().await;
    assert_eq!(
        env.chain().registration(&pubkey),
        Some(changed.clone()),
        "the latest registration is read back"
    );
    let other = bls::interop_secret_key(6).public_key().to_bytes();
    assert!(env.chain().registration(&other).is_some(), "every kept one");
    let mut older = registration(&env, 5, Address::repeat_byte(0xcd));
    older.message.timestamp = changed.message.timestamp - 1;
    let older = mock_relay::sign_registration(
        &env.spec,
        &bls::interop_secret_key(5),
        older.message.fee_recipient,
        older.message.gas_limit,
        older.message.timestamp,
    );
    let failures = env.chain().register_validators(vec![older]).await;
    assert_eq!(failures.len(), 1, "older than the kept one: {failures:?}");
}
