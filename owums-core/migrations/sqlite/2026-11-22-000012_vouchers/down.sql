DROP TABLE owums_radius_generation;
