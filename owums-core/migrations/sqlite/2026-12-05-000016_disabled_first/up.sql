-- The seeded `Disabled` group is read before every other group (priority 0): FreeRADIUS'
-- rlm_sql reads a user's groups in priority order and stops after the first one with
-- replies (no Fall-Through), so a member of `Disabled` and `Users`, both at priority 1,
-- was rejected or accepted depending on the order the database returned the tie in.
-- Only the seeded value is changed; a priority an operator chose is left alone.
UPDATE owums_radius_groups SET priority = 0 WHERE name = 'Disabled' AND priority = 1;
UPDATE owums_user_groups SET priority = 0 WHERE group_name = 'Disabled' AND priority = 1;
