UPDATE owums_user_groups SET priority = 1 WHERE group_name = 'Disabled' AND priority = 0;
UPDATE owums_radius_groups SET priority = 1 WHERE name = 'Disabled' AND priority = 0;
