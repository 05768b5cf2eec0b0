//! One diesel schema for every backend: owums' own tables and the FreeRADIUS tables owums
//! writes (`nas`, `radgroupcheck`, `radgroupreply`); `radacct` and `radpostauth` differ per
//! dialect and are reached with SQL in their modules.

diesel::table! {
    owums_users (id) {
        id -> Text,
        username -> Text,
        email -> Nullable<Text>,
        mobile -> Nullable<Text>,
        given_name -> Text,
        surname -> Text,
        birth_date -> Nullable<Date>,
        address -> Text,
        city -> Text,
        zip -> Text,
        country -> Text,
        verification_method -> Text,
        verified -> Bool,
        verified_at -> Nullable<Timestamp>,
        active -> Bool,
        eula_accepted -> Bool,
        privacy_accepted -> Bool,
        locale -> Text,
        notes -> Nullable<Text>,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        web_logins -> Integer,
        search_key -> Nullable<Text>,
    }
}

diesel::table! {
    owums_radius_groups (id) {
        id -> Integer,
        name -> Text,
        priority -> Integer,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    owums_radius_checks (id) {
        id -> Integer,
        user_id -> Text,
        attribute -> Text,
        op -> Text,
        value -> Text,
    }
}

diesel::table! {
    owums_radius_replies (id) {
        id -> Integer,
        user_id -> Text,
        attribute -> Text,
        op -> Text,
        value -> Text,
    }
}

diesel::table! {
    owums_user_groups (id) {
        id -> Integer,
        user_id -> Text,
        group_name -> Text,
        priority -> Integer,
    }
}

diesel::table! {
    owums_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    owums_plugin_state (plugin_id, user_id) {
        plugin_id -> Text,
        user_id -> Text,
        data -> Text,
        updated_at -> Timestamp,
        lookup_key -> Nullable<Text>,
    }
}

diesel::table! {
    radgroupcheck (id) {
        id -> Integer,
        groupname -> Text,
        attribute -> Text,
        op -> Text,
        value -> Text,
    }
}

diesel::table! {
    radgroupreply (id) {
        id -> Integer,
        groupname -> Text,
        attribute -> Text,
        op -> Text,
        value -> Text,
    }
}

diesel::table! {
    nas (id) {
        id -> Integer,
        nasname -> Text,
        shortname -> Nullable<Text>,
        #[sql_name = "type"]
        nas_type -> Nullable<Text>,
        ports -> Nullable<Integer>,
        secret -> Text,
        server -> Nullable<Text>,
        community -> Nullable<Text>,
        description -> Nullable<Text>,
    }
}

diesel::table! {
    owums_job_leases (job) {
        job -> Text,
        holder -> Text,
        generation -> BigInt,
        expires_at -> Timestamp,
        last_run_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    owums_mail_outbox (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
    }
}

diesel::table! {
    owums_password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    owums_sessions (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        csrf_token -> Text,
        locale -> Nullable<Text>,
        kind -> Text,
        data -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        operator_id -> Nullable<Text>,
    }
}

diesel::table! {
    owums_operator_verifications (id) {
        id -> Text,
        user_id -> Text,
        username -> Text,
        operator -> Text,
        method -> Text,
        evidence -> Text,
        verified_at -> Timestamp,
    }
}

diesel::table! {
    owums_attachments (id) {
        id -> Text,
        user_id -> Text,
        verification_id -> Text,
        method -> Text,
        kind -> Text,
        content_type -> Text,
        content -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    owums_radius_generation (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    owums_operators (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        permissions -> Text,
        active -> Bool,
        notes -> Nullable<Text>,
        totp_secret -> Nullable<Text>,
        totp_enabled -> Bool,
        totp_last_step -> Nullable<BigInt>,
        login_count -> BigInt,
        current_login_at -> Nullable<Timestamp>,
        current_login_ip -> Nullable<Text>,
        last_login_at -> Nullable<Timestamp>,
        last_login_ip -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    owums_operator_recovery_codes (operator_id, code_hash) {
        operator_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    owums_audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        operator_id -> Nullable<Text>,
        operator_username -> Text,
        action -> Text,
        target_kind -> Nullable<Text>,
        target_id -> Nullable<Text>,
        target_label -> Nullable<Text>,
        changes -> Text,
        client_ip -> Nullable<Text>,
    }
}

diesel::table! {
    owums_operator_tokens (id) {
        id -> Text,
        operator_id -> Text,
        name -> Text,
        token_hash -> Text,
        permissions -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        last_used_ip -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    owums_operator_setup (token_hash) {
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    owums_voucher_batches (id) {
        id -> Integer,
        name -> Text,
        prefix -> Text,
        group_name -> Text,
        password_length -> Integer,
        valid_until -> Nullable<Timestamp>,
        valid_days -> Nullable<Integer>,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    owums_vouchers (user_id) {
        user_id -> Text,
        batch_id -> Integer,
    }
}

diesel::allow_tables_to_appear_in_same_query!(owums_vouchers, owums_voucher_batches);
diesel::allow_tables_to_appear_in_same_query!(owums_operator_tokens, owums_operators);

diesel::table! {
    owums_devices (id) {
        id -> Integer,
        user_id -> Text,
        mac -> Text,
        label -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    owums_device_auth (id) {
        id -> Integer,
        enabled -> Bool,
        password -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(owums_devices, owums_users);
