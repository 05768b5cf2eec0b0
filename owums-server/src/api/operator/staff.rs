//! `/operator/operators` (`operators_manager`) and `/operator/me` (any token).

use owums_core::operator::{
    AuditTarget, Changes, OperatorRecord, Operators, Permission, Permissions, Preset,
    generate_password,
};
use owums_core::subscriber::WebSessions;
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::types::{
    Caller, CreatedOperator, NewOperatorRequest, OperatorBody, OperatorChangeRequest, names,
};
use super::{Answer, Call, OperatorTag, OperatorToken};
use crate::api::input::{Mistakes, Text};
use crate::api::{Api, ApiError};

#[derive(ApiResponse)]
enum OperatorCreated {
    /// Made, with a generated password to hand over.
    #[oai(status = 201)]
    Created(Json<CreatedOperator>),
}

/// The operator API's operations on operators.
#[derive(Debug)]
pub(crate) struct OperatorStaff;

fn ops(api: &Api) -> Operators {
    Operators::new(api.state.store.clone())
}

async fn operator(api: &Api, call: &Call, id: &str) -> Answer<OperatorRecord> {
    let Ok(id) = id.parse() else {
        return Err(call.not_found());
    };
    ops(api)
        .find(id)
        .await
        .map_err(|e| call.fail(&e))?
        .ok_or_else(|| call.not_found())
}

/// The permissions named in `list` (a field error for an unknown one).
fn permissions(call: &Call, m: &mut Mistakes, list: &[Text<32, 1>]) -> Answer<Permissions> {
    let mut set = Permissions::none();
    for p in list {
        let name = m.text("permissions", p);
        if p.get().is_err() {
            continue; // not a string: `m` says so
        }
        set.insert(name.parse::<Permission>().map_err(|e| call.fail(&e))?);
    }
    Ok(set)
}

/// A refusal that would lock the caller's operator out of managing operators.
fn lockout(call: &Call) -> ApiError {
    ApiError::with_message(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        call.tr.t("console-operators-self"),
        None,
    )
}

#[OpenApi(tag = "OperatorTag::Operators")]
impl OperatorStaff {
    /// The token's operator and what the token allows now (any live token).
    #[oai(path = "/operator/me", method = "get")]
    async fn me(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
    ) -> Answer<Json<Caller>> {
        let call = Call::new(&api, req, &auth, &[]).await?;
        let c = &call.caller;
        Ok(Json(Caller {
            operator: OperatorBody::from(&c.operator),
            token: c.token.name.clone(),
            permissions: names(&c.permissions),
            expires_at: c.token.expires_at,
        }))
    }

    /// Every operator, by username (`operators_manager`).
    #[oai(path = "/operator/operators", method = "get")]
    async fn list(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
    ) -> Answer<Json<Vec<OperatorBody>>> {
        let call = Call::new(&api, req, &auth, &[Permission::OperatorsManager]).await?;
        let all = ops(&api).list().await.map_err(|e| call.fail(&e))?;
        Ok(Json(all.iter().map(OperatorBody::from).collect()))
    }

    /// One operator (`operators_manager`).
    #[oai(path = "/operator/operators/:id", method = "get")]
    async fn show(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
    ) -> Answer<Json<OperatorBody>> {
        let call = Call::new(&api, req, &auth, &[Permission::OperatorsManager]).await?;
        let op = operator(&api, &call, &id).await?;
        Ok(Json(OperatorBody::from(&op)))
    }

    /// Make an operator with a preset and/or permissions and a generated password, answered
    /// once (`operators_manager`).
    #[oai(path = "/operator/operators", method = "post")]
    async fn create(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        body: Json<NewOperatorRequest>,
    ) -> Answer<OperatorCreated> {
        let call = Call::new(&api, req, &auth, &[Permission::OperatorsManager]).await?;
        let mut m = Mistakes::default();
        let username = m.text("username", &body.username);
        let preset = m.optional("preset", body.preset.as_ref());
        let extra = body.permissions.clone().unwrap_or_default();
        let extra = permissions(&call, &mut m, &extra)?;
        m.check(&call.tr)?;
        let mut set = match preset {
            Some(p) => p
                .parse::<Preset>()
                .map_err(|e| call.fail(&e))?
                .permissions(),
            None => Permissions::none(),
        };
        for p in extra.iter() {
            set.insert(p);
        }
        let password = generate_password();
        let (op, changes) = ops(&api)
            .create(&username.trim().to_lowercase(), &password, set)
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(&api, "operator.create", AuditTarget::operator(&op), changes)
            .await?;
        Ok(OperatorCreated::Created(Json(CreatedOperator {
            operator: OperatorBody::from(&op),
            password,
        })))
    }

    /// Change an operator's permissions (the whole set), active flag or notes
    /// (`operators_manager`). A token cannot take `operators_manager` from, or disable, its
    /// own operator. Disabling ends the operator's console sessions and stops their tokens.
    #[oai(path = "/operator/operators/:id", method = "patch")]
    async fn update(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
        body: Json<OperatorChangeRequest>,
    ) -> Answer<Json<OperatorBody>> {
        let call = Call::new(&api, req, &auth, &[Permission::OperatorsManager]).await?;
        let op = operator(&api, &call, &id).await?;
        let me = call.caller.operator.id == op.id;
        let mut m = Mistakes::default();
        let set = match &body.permissions {
            Some(list) => Some(permissions(&call, &mut m, list)?),
            None => None,
        };
        let active = body.active.as_ref().map(|f| m.flag("active", f));
        let notes = m.optional("notes", body.notes.as_ref());
        m.check(&call.tr)?;
        if me
            && (set
                .as_ref()
                .is_some_and(|s| !s.allows(Permission::OperatorsManager))
                || active == Some(false))
        {
            return Err(lockout(&call));
        }
        let ops = ops(&api);
        let mut changes = Changes::default();
        // the notes first: the one change that can be refused, before anything is written
        if let Some(notes) = notes {
            changes.extend(
                ops.set_notes(op.id, Some(&notes))
                    .await
                    .map_err(|e| call.fail(&e))?,
            );
        }
        if let Some(set) = set {
            changes.extend(
                ops.set_permissions(op.id, set)
                    .await
                    .map_err(|e| call.fail(&e))?,
            );
        }
        if let Some(active) = active {
            changes.extend(
                ops.set_active(op.id, active)
                    .await
                    .map_err(|e| call.fail(&e))?,
            );
            if !active {
                WebSessions::new(api.state.store.clone())
                    .delete_for_operator(op.id, None)
                    .await
                    .map_err(|e| call.fail(&e))?;
            }
        }
        call.audit(&api, "operator.update", AuditTarget::operator(&op), changes)
            .await?;
        let after = operator(&api, &call, &id).await?;
        Ok(Json(OperatorBody::from(&after)))
    }

    /// Reset an operator's password to a generated one, answered once; their console
    /// sessions end (`operators_manager`).
    #[oai(path = "/operator/operators/:id/password", method = "post")]
    async fn reset_password(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: OperatorToken,
        id: Path<String>,
    ) -> Answer<Json<CreatedOperator>> {
        let call = Call::new(&api, req, &auth, &[Permission::OperatorsManager]).await?;
        let op = operator(&api, &call, &id).await?;
        let password = generate_password();
        let changes = ops(&api)
            .set_password(op.id, &password)
            .await
            .map_err(|e| call.fail(&e))?;
        WebSessions::new(api.state.store.clone())
            .delete_for_operator(op.id, None)
            .await
            .map_err(|e| call.fail(&e))?;
        call.audit(
            &api,
            "operator.password_reset",
            AuditTarget::operator(&op),
            changes,
        )
        .await?;
        Ok(Json(CreatedOperator {
            operator: OperatorBody::from(&op),
            password,
        }))
    }
}
