"""Distribution shifts: shift specs and their one parser, versioned suites, and the scenario samplers of
the table-top (objects, layout, textures, lighting, camera) and driving (CARLA weather) suites."""
