-- A results database of schema version 1, as mplm-exp wrote it at commit
-- d180f0a: the experiment v1t (5 runs: pre-copy 0.3/1 s, MPLM
-- dirtypercents 30/70, stop-and-copy), for test_export's upgrade test.
PRAGMA user_version = 1;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  file TEXT NOT NULL,
  description TEXT NOT NULL,
  figure TEXT NOT NULL,
  backend TEXT NOT NULL,
  repetitions INTEGER NOT NULL,
  runs_defined INTEGER NOT NULL,
  config TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
INSERT INTO experiments VALUES(1,'v1t','v1t.ini','','fig4','sim',1,5,replace('[experiment]\nname = v1t\nvm-memory = 256M\n\n[workload u]\ngenerator = uniform,memory=128M,wss=64M,rate=6000,duration=8\nstart-at = 1\n\n[algorithm precopy]\ndowntime-limit = 0.3 1\n\n[algorithm mplm]\ndirtypercents = 30 70\n\n[algorithm stopcopy]\n','\n',char(10)),'0.1.0','unknown','2026-12-01T15:06:56Z','2026-12-01T15:06:56Z');
CREATE TABLE current_runs (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  param_hash TEXT NOT NULL,
  repetition INTEGER NOT NULL,
  PRIMARY KEY (experiment_id, param_hash, repetition)) WITHOUT ROWID;
INSERT INTO current_runs VALUES(1,'47fb3d444eaeedff',0);
INSERT INTO current_runs VALUES(1,'7ceccfb0fbf7745f',0);
INSERT INTO current_runs VALUES(1,'9b4ba2047b0f6bcf',0);
INSERT INTO current_runs VALUES(1,'c08ac783e64e576a',0);
INSERT INTO current_runs VALUES(1,'dccaa55ce0fba67b',0);
CREATE TABLE reference_values (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  workload TEXT NOT NULL,
  algorithm_name TEXT,
  metric TEXT NOT NULL,
  param REAL,
  value REAL NOT NULL,
  approx INTEGER NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  param_hash TEXT NOT NULL,
  point_hash TEXT NOT NULL,
  point_index INTEGER NOT NULL,
  param_key TEXT NOT NULL,
  repetition INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  backend TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  workload TEXT NOT NULL,
  workload_label TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  source TEXT NOT NULL,
  placement TEXT NOT NULL,
  static_bytes INTEGER NOT NULL,
  start_at REAL NOT NULL,
  at_end TEXT NOT NULL,
  untraced_nonzero INTEGER NOT NULL,
  vm_bytes INTEGER NOT NULL,
  link_bandwidth REAL NOT NULL,
  header_bytes INTEGER NOT NULL,
  state_bytes INTEGER NOT NULL,
  sync_fixed REAL NOT NULL,
  sync_per_page REAL NOT NULL,
  verify INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  algorithm_name TEXT NOT NULL,
  downtime_limit REAL NOT NULL,
  max_bandwidth REAL NOT NULL,
  max_iterations INTEGER NOT NULL,
  measured_bandwidth INTEGER NOT NULL,
  intervaltime REAL NOT NULL,
  dirtypercents INTEGER NOT NULL,
  firstnondirty INTEGER NOT NULL,
  relaxlivemig INTEGER NOT NULL,
  max_total_time REAL NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  converged INTEGER NOT NULL,
  total_time REAL,
  downtime REAL,
  live_time REAL,
  setup_time REAL,
  transferred_bytes INTEGER,
  normal_pages INTEGER,
  zero_pages INTEGER,
  normal_bytes INTEGER,
  pages_sent INTEGER,
  downtime_pages INTEGER,
  state_bytes_sent INTEGER,
  remaining_bytes INTEGER,
  syncs INTEGER,
  mbps REAL,
  vm_pages INTEGER,
  touched_pages INTEGER,
  touched_bytes INTEGER,
  sent_ratio REAL,
  metadata_bytes INTEGER,
  peak_rss_bytes INTEGER,
  dirty_rate REAL,
  verified INTEGER,
  mismatches INTEGER,
  sim_seconds REAL,
  wall_seconds REAL,
  UNIQUE (experiment_id, param_hash, repetition));
INSERT INTO runs VALUES(1,1,'47fb3d444eaeedff','9b1971c563da7247',0,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=precopy;algname=precopy;dl=0.29999999999999999;maxbw=125000000;iters=0;measured=0;inv=3;dp=50;fnd=1;relax=0;cap=3600;place=bottom;static=0;seed=1',0,1,'sim','0.1.0','unknown','2026-12-01T15:06:56.806Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'precopy','precopy',0.29999999999999998889,125000000.0,0,0,3.0,50,1,0,3600.0,'completed',NULL,1,0.63405311999818581014,0.092921447999866013667,0.54113167199831979647,1.0000000000000000817e-05,79239040,19184,49152,78577664,68336,9155,65536,0,4,999.77793658962491466,65536,2800,11468800,0.29518842697143554687,30720,2420736,5545.2775684352809547,1,0,0.0012208369998916168697,0.0027450219999991531949);
INSERT INTO runs VALUES(2,1,'c08ac783e64e576a','91fdbc44dd795738',1,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=precopy;algname=precopy;dl=1;maxbw=125000000;iters=0;measured=0;inv=3;dp=50;fnd=1;relax=0;cap=3600;place=bottom;static=0;seed=1',0,1,'sim','0.1.0','unknown','2026-12-01T15:06:56.807Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'precopy','precopy',1.0,125000000.0,0,0,3.0,50,1,0,3600.0,'completed',NULL,1,0.63405311999818581014,0.094459511999056444686,0.53959360799912936546,1.0000000000000000817e-05,79239040,19184,49152,78577664,68336,30517,65536,0,4,999.77793658962491466,65536,2800,11468800,0.29518842697143554687,30720,2428928,5561.0877256269359348,1,0,0.00098007299993696506135,0.0027738939998016576282);
INSERT INTO runs VALUES(3,1,'dccaa55ce0fba67b','756529d1a1943ccb',3,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=mplm;algname=mplm;dl=0.29999999999999999;maxbw=125000000;iters=0;measured=0;inv=3;dp=70;fnd=1;relax=0;cap=3600;place=bottom;static=0;seed=1',0,1,'sim','0.1.0','unknown','2026-12-01T15:06:56.809Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'mplm','mplm',0.29999999999999998889,125000000.0,0,0,3.0,70,1,0,3600.0,'completed',NULL,1,0.63403311999818590116,0.09256468800010686504,0.54146843199807903612,1.0000000000000000817e-05,79239040,19184,49152,78577664,68336,2800,65536,0,2,999.80947367830526675,65536,2800,11468800,0.29518842697143554687,30720,2584576,5540.5915259748990137,1,0,0.0010475030003362917341,0.0023086779997356643434);
INSERT INTO runs VALUES(4,1,'9b4ba2047b0f6bcf','f158fe68814c0877',2,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=mplm;algname=mplm;dl=0.29999999999999999;maxbw=125000000;iters=0;measured=0;inv=3;dp=30;fnd=1;relax=0;cap=3600;place=bottom;static=0;seed=1',0,1,'sim','0.1.0','unknown','2026-12-01T15:06:56.809Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'mplm','mplm',0.29999999999999998889,125000000.0,0,0,3.0,30,1,0,3600.0,'completed',NULL,1,0.63403311999818590116,0.09256468800010686504,0.54146843199807903612,1.0000000000000000817e-05,79239040,19184,49152,78577664,68336,2800,65536,0,2,999.80947367830526675,65536,2800,11468800,0.29518842697143554687,30720,2584576,5540.5915259748990137,1,0,0.001113811999857716728,0.002647570000135601731);
INSERT INTO runs VALUES(5,1,'7ceccfb0fbf7745f','2bda1c2fea897227',4,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=stopcopy;algname=stopcopy;dl=0.29999999999999999;maxbw=125000000;iters=0;measured=0;inv=3;dp=50;fnd=1;relax=0;cap=3600;place=bottom;static=0;seed=1',0,1,'sim','0.1.0','unknown','2026-12-01T15:06:56.811Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'stopcopy','stopcopy',0.29999999999999998889,125000000.0,0,0,3.0,50,1,0,3600.0,'completed',NULL,1,0.54200271999807903,0.54199271999807907551,9.9999999999544897377e-06,1.0000000000000000817e-05,67747840,16384,49152,67108864,65536,65536,65536,0,2,999.9630998197221743,65536,0,0,0.25238037109375,30720,2584576,0.0,1,0,0.00085366500024974811822,0.0019370149998394481372);
CREATE TABLE syncs (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  time REAL NOT NULL,
  interval REAL NOT NULL,
  dirtied INTEGER NOT NULL,
  d_size INTEGER NOT NULL,
  nd_size INTEGER NOT NULL,
  sent_d INTEGER NOT NULL,
  sent_nd INTEGER NOT NULL,
  slots_nd INTEGER NOT NULL,
  slots_total INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  final INTEGER NOT NULL,
  PRIMARY KEY (run_id, idx)) WITHOUT ROWID;
INSERT INTO syncs VALUES(1,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(1,1,0.54092007199842595532,0.54091007199842600083,2800,11955,0,56381,0,0,56381,67599909,0);
INSERT INTO syncs VALUES(1,2,0.54113167199831979647,0.00021159999989384115082,0,9155,0,2800,0,0,2800,25200,0);
INSERT INTO syncs VALUES(1,3,0.54114167199831975096,9.9999999999544897377e-06,0,9155,0,0,0,0,0,0,1);
INSERT INTO syncs VALUES(2,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(2,1,0.5393820079992355243,0.53937200799923556981,2800,33317,0,35019,0,0,35019,67407651,0);
INSERT INTO syncs VALUES(2,2,0.53959360799912936546,0.00021159999989384115082,0,30517,0,2800,0,0,2800,25200,0);
INSERT INTO syncs VALUES(2,3,0.53960360799912931994,9.9999999999544897377e-06,0,30517,0,0,0,0,0,0,1);
INSERT INTO syncs VALUES(3,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,0,65536,0,0,0,0,0,0);
INSERT INTO syncs VALUES(3,1,0.5415792319980790026,0.54156923199807904811,2800,2800,0,0,65536,65536,65536,67682304,1);
INSERT INTO syncs VALUES(4,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,0,65536,0,0,0,0,0,0);
INSERT INTO syncs VALUES(4,1,0.5415792319980790026,0.54156923199807904811,2800,2800,0,0,65536,65536,65536,67682304,1);
INSERT INTO syncs VALUES(5,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(5,1,2.0000000000000001634e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,1);
CREATE INDEX runs_point ON runs (experiment_id, point_hash);
CREATE VIEW current AS
  SELECT e.name AS experiment, r.* FROM runs r
  JOIN experiments e ON e.id = r.experiment_id
  JOIN current_runs c ON c.experiment_id = r.experiment_id
   AND c.param_hash = r.param_hash AND c.repetition = r.repetition;
COMMIT;
