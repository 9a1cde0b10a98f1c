//! Accounts: the user record every function reads (profile, organisation, status,
//! password state). Keys: `USER#<id>` / `PROFILE`; the identifiant is unique through
//! the item `IDENT#<identifiant>` / `IDENT` written in the same transaction.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::record::Record;
use crate::table::{Cond, Item, StoreError, Table, Write};

/// What an account is (SPEC §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Platform admin: creates caisses and their first agents, publishes the CGU.
    Admin,
    /// Caisse agent.
    Agent,
    /// Partner manager.
    Gestionnaire,
    /// Partner worker.
    Technicien,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::Gestionnaire => "gestionnaire",
            Role::Technicien => "technicien",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrateur de la plateforme",
            Role::Agent => "Agent de caisse",
            Role::Gestionnaire => "Gestionnaire",
            Role::Technicien => "Technicien",
        }
    }
}

/// The organisation an account belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Platform,
    Caisse,
    Partner,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Active,
    Inactive,
}

/// Id of the platform organisation.
pub const PLATFORM_ORG: &str = "platform";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub identifiant: String,
    pub role: Role,
    pub status: Status,
    #[serde(default)]
    pub civilite: Option<String>,
    pub nom: String,
    pub prenom: String,
    pub email: String,
    #[serde(default)]
    pub fonction: Option<String>,
    #[serde(default)]
    pub telephone: Option<String>,
    pub org_kind: OrgKind,
    pub org_id: String,
    pub org_name: String,
    /// Argon2id PHC string; none until the user creates their password.
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default)]
    pub password_changed_at: Option<Timestamp>,
    /// Hashes of previous passwords, newest first (reuse is refused).
    #[serde(default)]
    pub password_history: Vec<String>,
    #[serde(default)]
    pub cgu_version: Option<String>,
    #[serde(default)]
    pub cgu_accepted_at: Option<Timestamp>,
    /// Sessions created under an older epoch are void: incrementing it ends every
    /// session of the user at once (password change, inactivation, exclusion).
    #[serde(default)]
    pub session_epoch: u64,
    pub created_at: Timestamp,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub last_login_at: Option<Timestamp>,
    #[serde(default)]
    pub inactivated_at: Option<Timestamp>,
    /// Why the account was inactivated: `convention_end`, `manual`, `scheduled`,
    /// `exclusion_fraude`, `exclusion_perte`, `exclusion_vol`, `exclusion_non_conforme`.
    #[serde(default)]
    pub inactivation_reason: Option<String>,
    /// Technicien: the gestionnaire responsible for it (re-attached when that one
    /// is inactivated, §2.2.3).
    #[serde(default)]
    pub attached_to: Option<String>,
    /// Caisse agent with the right to manage the caisse's agents.
    #[serde(default)]
    pub caisse_admin: bool,
    /// When the password-expiry reminder is due (cleared once sent).
    #[serde(default)]
    pub password_reminder_at: Option<Timestamp>,
    /// When the user enrolled their second factor (README « Second factor »); the
    /// secret and recovery codes are in the [`second_factor_key`] item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor_at: Option<Timestamp>,
    pub v: u64,
}

/// The item holding a user's second factor: the sealed secret, the last accepted
/// time step, the recovery codes' hashes.
pub fn second_factor_key(id: &str) -> (String, String) {
    (format!("USER#{id}"), "TOTP".to_owned())
}

impl User {
    /// Whether this user must enrol a second factor (SPEC: the platform admin, caisse
    /// agents and gestionnaires; techniciens when `EP_TOTP_TECHNICIENS=required`).
    pub fn second_factor_required(&self, config: &crate::config::Config) -> bool {
        match self.role {
            Role::Admin | Role::Agent | Role::Gestionnaire => true,
            Role::Technicien => config.totp_techniciens_required,
        }
    }
}

pub fn user_key(id: &str) -> (String, String) {
    (format!("USER#{id}"), "PROFILE".to_owned())
}

pub fn ident_key(identifiant: &str) -> (String, String) {
    (format!("IDENT#{identifiant}"), "IDENT".to_owned())
}

/// gsi1 partition listing an organisation's accounts.
pub fn org_users_pk(org_id: &str) -> String {
    format!("ORG#{org_id}#USERS")
}

/// Who a new account is for.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub role: Role,
    pub civilite: Option<String>,
    pub nom: String,
    pub prenom: String,
    pub email: String,
    pub fonction: Option<String>,
    pub telephone: Option<String>,
    pub org_kind: OrgKind,
    pub org_id: String,
    pub org_name: String,
    pub created_by: Option<String>,
}

impl User {
    /// The account as the domain rules see it (partner accounts; other roles are
    /// seen as techniciens, which no partner rule involves).
    pub fn account_view(&self) -> ep_domain::lifecycle::AccountView {
        use ep_domain::types::{AccountStatus, Profile};
        ep_domain::lifecycle::AccountView {
            id: self.id.clone(),
            partner_id: self.org_id.clone(),
            profile: if self.role == Role::Gestionnaire {
                Profile::Gestionnaire
            } else {
                Profile::Technicien
            },
            status: match self.status {
                Status::Pending => AccountStatus::Pending,
                Status::Active => AccountStatus::Active,
                Status::Inactive => AccountStatus::Inactive,
            },
            created_at: self.created_at,
            attached_to: self.attached_to.clone(),
        }
    }

    /// A new `pending` account (its holder creates the password from the emailed link).
    pub fn pending(id: String, identifiant: String, a: NewAccount, now: Timestamp) -> User {
        User {
            id,
            identifiant,
            role: a.role,
            status: Status::Pending,
            civilite: a.civilite,
            nom: a.nom,
            prenom: a.prenom,
            email: a.email,
            fonction: a.fonction,
            telephone: a.telephone,
            org_kind: a.org_kind,
            org_id: a.org_id,
            org_name: a.org_name,
            password_hash: None,
            password_changed_at: None,
            password_history: vec![],
            cgu_version: None,
            cgu_accepted_at: None,
            session_epoch: 0,
            created_at: now,
            created_by: a.created_by,
            last_login_at: None,
            inactivated_at: None,
            inactivation_reason: None,
            attached_to: None,
            caisse_admin: false,
            password_reminder_at: None,
            second_factor_at: None,
            v: 1,
        }
    }

    /// The item of this record (gsi1: listed under its organisation). In the due
    /// index: an inactive account at its purge date (inactivation + 6 months), an
    /// active one at its password-expiry reminder.
    fn item(&self) -> Result<Item, StoreError> {
        let (pk, sk) = user_key(&self.id);
        let mut item = Item::from_record(pk, sk, self)?
            .with("gsi1pk", org_users_pk(&self.org_id))
            .with("gsi1sk", format!("{}#{}", self.role.code(), self.id));
        match (self.status, self.inactivated_at, self.password_reminder_at) {
            (Status::Inactive, Some(at), _) => {
                item.set("due_pk", crate::partners::DUE_PURGE);
                item.set("due_at", crate::emails::ts_key(purge_at(at)));
            }
            (Status::Active, _, Some(at)) => {
                item.set("due_pk", crate::partners::DUE_PASSWORD_REMINDER);
                item.set("due_at", crate::emails::ts_key(at));
            }
            _ => {}
        }
        Ok(item)
    }

    /// The writes creating this account: the record and its unique identifiant.
    pub fn create_writes(&self) -> Result<Vec<Write>, StoreError> {
        let (ipk, isk) = ident_key(&self.identifiant);
        Ok(vec![
            Write::put(self.to_item()?, Cond::NotExists),
            Write::put(
                Item::new(ipk, isk).with("user_id", self.id.clone()),
                Cond::NotExists,
            ),
        ])
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.prenom, self.nom)
    }
}

pub async fn get_user(table: &dyn Table, id: &str) -> Result<Option<User>, StoreError> {
    let (pk, sk) = user_key(id);
    match table.get(&pk, &sk).await? {
        Some(item) => Ok(Some(item.parse()?)),
        None => Ok(None),
    }
}

pub async fn find_by_identifiant(
    table: &dyn Table,
    identifiant: &str,
) -> Result<Option<User>, StoreError> {
    let (pk, sk) = ident_key(identifiant);
    let Some(item) = table.get(&pk, &sk).await? else {
        return Ok(None);
    };
    match item.get_str("user_id") {
        Some(id) => get_user(table, id).await,
        None => Ok(None),
    }
}

/// A fresh identifiant not used by any account yet (retries on collision).
pub async fn new_identifiant(
    table: &dyn Table,
    prenom: &str,
    nom: &str,
) -> Result<String, StoreError> {
    for _ in 0..20 {
        let r = u32::from_le_bytes(crate::ids::random_bytes::<4>());
        let ident = ep_domain::types::Identifiant::generate(prenom, nom, r);
        let (pk, sk) = ident_key(ident.as_str());
        if table.get(&pk, &sk).await?.is_none() {
            return Ok(ident.as_str().to_owned());
        }
    }
    Err(StoreError::Unavailable("no free identifiant found".into()))
}

/// When an account inactivated at `at` is erased: 6 calendar months later (SPEC §3
/// "Deletion"; end of month handled: 31 August → 28 February).
pub fn purge_at(at: Timestamp) -> Timestamp {
    let day = ep_domain::lifecycle::purge_date_at(at);
    day.to_zoned_datetime(ep_domain::calendar::paris())
        .map(|z| z.timestamp())
        .unwrap_or(at)
}

/// Sort-key prefix, in an account's partition `USER#<id>`, of the pointers to other
/// items holding its holder's personal data (see [`personal_data_ref`]).
pub const PERSONAL_REF_PREFIX: &str = "REF#";

/// The write recording that the item `pk`/`sk` holds personal data of the holder of
/// account `user_id` (name, email, phone…): the approved habilitation request that
/// created a gestionnaire account, a modification request about it, an exclusion
/// notice naming its address. Add it to the transaction that writes that item: the
/// purge (6 months after inactivation) reads these pointers — one partition, no scan —
/// and blanks the person's fields in each item before deleting the account.
pub fn personal_data_ref(user_id: &str, pk: &str, sk: &str) -> Write {
    let (upk, _) = user_key(user_id);
    let item = Item::new(upk, format!("{PERSONAL_REF_PREFIX}{pk}|{sk}"))
        .with("ref_pk", pk)
        .with("ref_sk", sk);
    Write::put(item, Cond::None)
}
crate::versioned!(User);

/// These accounts by id, in one read per 100 (ids of no account are left out).
pub async fn get_users<'a>(
    table: &dyn Table,
    ids: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashMap<String, User>, StoreError> {
    let mut keys: Vec<(String, String)> = ids.filter(|i| !i.is_empty()).map(user_key).collect();
    keys.sort();
    keys.dedup();
    let mut users = std::collections::HashMap::new();
    for chunk in keys.chunks(crate::table::MAX_GET_MANY) {
        // Shown beside a list: eventually consistent (`Table::get_many_eventual`).
        for item in table.get_many_eventual(chunk).await?.into_iter().flatten() {
            let u: User = item.parse()?;
            users.insert(u.id.clone(), u);
        }
    }
    Ok(users)
}

/// « Prénom Nom » of these accounts, in one read (ids of no account are left out).
pub async fn user_names<'a>(
    ctx: &crate::Ctx,
    ids: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    Ok(get_users(ctx.table.as_ref(), ids)
        .await?
        .into_iter()
        .map(|(id, u)| (id, format!("{} {}", u.prenom, u.nom)))
        .collect())
}
