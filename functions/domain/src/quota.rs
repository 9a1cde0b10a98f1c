//! Account quotas by number of members (SPEC §3 « Quotas »; convention §2.2.1).
//!
//! | members | gestionnaires | techniciens |
//! |---|---|---|
//! | 1–10 | 2 | 5 |
//! | 11–25 | 3 | 15 |
//! | over 25 | 5 | 25 |
//!
//! Only `active` and `pending` accounts count. A partner already over quota
//! (members lowered) keeps its accounts but cannot create more.

use crate::error::FieldError;
use crate::types::Profile;
use serde::{Deserialize, Serialize};

/// Maximum numbers of accounts for a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// Gestionnaires at most.
    pub gestionnaires: u32,
    /// Techniciens at most.
    pub techniciens: u32,
}

impl Quota {
    /// The limit for one profile.
    pub fn limit(&self, profile: Profile) -> u32 {
        match profile {
            Profile::Gestionnaire => self.gestionnaires,
            Profile::Technicien => self.techniciens,
        }
    }
}

/// Why a creation is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// 0 members: no quota can be computed.
    #[error("Le nombre de membres de la structure doit être d'au moins 1.")]
    InvalidMembers,
    /// The limit is already reached.
    #[error("{}", limit_message(*.profile, *.limit, *.members, *.current))]
    LimitReached {
        /// Profile being created.
        profile: Profile,
        /// The limit for this partner.
        limit: u32,
        /// Active + pending accounts of this profile.
        current: u32,
        /// The partner's number of members.
        members: u32,
    },
}

fn bracket(members: u32) -> &'static str {
    match members {
        0..=10 => "de 1 à 10 membres",
        11..=25 => "de 11 à 25 membres",
        _ => "de plus de 25 membres",
    }
}

fn limit_message(profile: Profile, limit: u32, members: u32, current: u32) -> String {
    let noun = match profile {
        Profile::Gestionnaire => "gestionnaires",
        Profile::Technicien => "techniciens",
    };
    format!(
        "Création impossible : une structure {} peut avoir au plus {limit} {noun} (comptes actifs ou en attente), et elle en a déjà {current}. Inactivez un compte existant ou demandez à la caisse de mettre à jour le nombre de membres.",
        bracket(members)
    )
}

impl QuotaError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            QuotaError::InvalidMembers => "quota.invalid_members",
            QuotaError::LimitReached { .. } => "quota.limit_reached",
        }
    }
}

impl From<QuotaError> for FieldError {
    fn from(e: QuotaError) -> FieldError {
        let field = match e {
            QuotaError::InvalidMembers => "nombre_membres",
            QuotaError::LimitReached { .. } => "profil",
        };
        FieldError::new(field, e.code(), e.to_string())
    }
}

/// The quota for a number of members (§2.2.1); 0 members is invalid.
pub fn quota_for(members: u32) -> Result<Quota, QuotaError> {
    match members {
        0 => Err(QuotaError::InvalidMembers),
        1..=10 => Ok(Quota {
            gestionnaires: 2,
            techniciens: 5,
        }),
        11..=25 => Ok(Quota {
            gestionnaires: 3,
            techniciens: 15,
        }),
        _ => Ok(Quota {
            gestionnaires: 5,
            techniciens: 25,
        }),
    }
}

/// May one more account of `profile` be created, given the partner's `members`
/// and its current number of `active` + `pending` accounts of that profile?
pub fn may_create(
    profile: Profile,
    members: u32,
    active_plus_pending: u32,
) -> Result<(), QuotaError> {
    let limit = quota_for(members)?.limit(profile);
    if active_plus_pending < limit {
        Ok(())
    } else {
        Err(QuotaError::LimitReached {
            profile,
            limit,
            current: active_plus_pending,
            members,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spec_3_quota_table_boundaries() {
        assert_eq!(quota_for(0), Err(QuotaError::InvalidMembers));
        for (m, g, t) in [
            (1, 2, 5),
            (10, 2, 5),
            (11, 3, 15),
            (25, 3, 15),
            (26, 5, 25),
            (10_000, 5, 25),
        ] {
            assert_eq!(
                quota_for(m).unwrap(),
                Quota {
                    gestionnaires: g,
                    techniciens: t
                },
                "{m}"
            );
        }
    }

    #[test]
    fn spec_3_may_create_names_the_limit() {
        assert!(may_create(Profile::Gestionnaire, 10, 1).is_ok());
        let e = may_create(Profile::Gestionnaire, 10, 2).unwrap_err();
        assert_eq!(e.code(), "quota.limit_reached");
        let m = e.to_string();
        assert!(m.contains("au plus 2 gestionnaires"), "{m}");
        assert!(m.contains("de 1 à 10 membres"), "{m}");
        assert!(may_create(Profile::Technicien, 26, 24).is_ok());
        let e: FieldError = may_create(Profile::Technicien, 26, 25).unwrap_err().into();
        assert!(e.message.contains("au plus 25 techniciens"));
        assert_eq!(
            FieldError::from(QuotaError::InvalidMembers).field,
            "nombre_membres"
        );
    }

    #[test]
    fn spec_3_members_lowered_blocks_without_deleting() {
        // 4 techniciens exist at 12 members; members lowered to 5 → quota 5, so 5 were ok,
        // but with 6 existing creation is refused (accounts are not touched).
        assert!(may_create(Profile::Technicien, 5, 6).is_err());
        assert!(may_create(Profile::Technicien, 5, 4).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// SPEC §3: quotas are monotonic in members and within 1–5 / 1–25 (convention §2.2).
        #[test]
        fn spec_3_quota_monotonic(a in 1u32..200, b in 1u32..200) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (ql, qh) = (quota_for(lo).unwrap(), quota_for(hi).unwrap());
            prop_assert!(ql.gestionnaires <= qh.gestionnaires && ql.techniciens <= qh.techniciens);
            prop_assert!((1..=5).contains(&qh.gestionnaires) && (1..=25).contains(&qh.techniciens));
        }

        /// SPEC §3: may_create accepts exactly when the count is below the limit.
        #[test]
        fn spec_3_may_create_iff_below(members in 0u32..100, count in 0u32..40, tech in any::<bool>()) {
            let p = if tech { Profile::Technicien } else { Profile::Gestionnaire };
            let r = may_create(p, members, count);
            match quota_for(members) {
                Err(_) => prop_assert_eq!(r, Err(QuotaError::InvalidMembers)),
                Ok(q) => prop_assert_eq!(r.is_ok(), count < q.limit(p)),
            }
        }
    }
}
