-- A results database of schema version 2, as mplm-exp wrote it at commit
-- 2724840: the experiment v2t (6 runs: pre-copy 0.3/1 s, pre-copy 0.3 s with
-- auto-converge, MPLM dirtypercents 30/70, stop-and-copy), for test_export's
-- upgrade test.
PRAGMA user_version = 2;
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
INSERT INTO experiments VALUES(1,'v2t','v2t.ini','','fig4','sim',1,6,replace('[experiment]\nname = v2t\nmemory = 256M\n\n[workload u]\ngenerator = uniform,memory=128M,wss=64M,rate=6000,duration=8\nstart-at = 1\n\n[algorithm precopy]\ndowntime-limit = 300ms 1s\n\n[algorithm precopy-ac]\nalgorithm = precopy\ndowntime-limit = 300ms\nauto-converge = on\n\n[algorithm mplm]\ndirtypercents = 30 70\n\n[algorithm stopcopy]\n','\n',char(10)),'0.1.0','272484014f89','2026-12-01T16:46:28Z','2026-12-01T16:46:28Z');
CREATE TABLE current_runs (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  param_hash TEXT NOT NULL,
  repetition INTEGER NOT NULL,
  PRIMARY KEY (experiment_id, param_hash, repetition)) WITHOUT ROWID;
INSERT INTO current_runs VALUES(1,'01f8848122d867e6',0);
INSERT INTO current_runs VALUES(1,'0a5de1145072d5a1',0);
INSERT INTO current_runs VALUES(1,'16667f20c4acfaba',0);
INSERT INTO current_runs VALUES(1,'3733eb448d872212',0);
INSERT INTO current_runs VALUES(1,'545833a5af9227f2',0);
INSERT INTO current_runs VALUES(1,'c0bc6ecbe23f1b82',0);
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
  header_bytes INTEGER,
  zero_page_bytes INTEGER,
  zero_page_cost REAL,
  state_bytes INTEGER,
  sync_fixed REAL,
  sync_per_page REAL,
  verify INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  algorithm_name TEXT NOT NULL,
  downtime_limit REAL,
  max_bandwidth REAL NOT NULL,
  max_iterations INTEGER,
  measured_bandwidth INTEGER,
  intervaltime REAL,
  dirtypercents INTEGER,
  firstnondirty INTEGER,
  relaxlivemig INTEGER,
  auto_converge INTEGER,
  cpu_throttle_initial INTEGER,
  cpu_throttle_increment INTEGER,
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
INSERT INTO runs VALUES(1,1,'545833a5af9227f2','81043e03ab6ead10',0,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;zero=9;zerocost=0;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=precopy;algname=precopy;dl=0.29999999999999999;maxbw=0;iters=0;threshold=measured;variant=qemu-mplm;inv=3;dp=50;fnd=1;relax=1;cap=3600;place=bottom;static=0;ac=0/20/10;seed=1',0,1,'sim','0.1.0','272484014f89','2026-12-01T16:46:28.887Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,9,0.0,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'precopy','precopy',0.29999999999999998889,0.0,0,1,NULL,NULL,NULL,NULL,0,NULL,NULL,3600.0,'completed',NULL,1,0.63405311999818581014,0.092921447999866013667,0.54113167199831979647,1.0000000000000000817e-05,79173504,19184,49152,78577664,68336,9155,65536,0,4,999.77793658962491466,65536,2800,11468800,0.29494428634643554687,32768,2371584,5545.2775684352809547,1,0,0.0003862350004055770114,0.0040004929996939608827);
INSERT INTO runs VALUES(2,1,'0a5de1145072d5a1','64fa15464f3eb1dd',1,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;zero=9;zerocost=0;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=precopy;algname=precopy;dl=1;maxbw=0;iters=0;threshold=measured;variant=qemu-mplm;inv=3;dp=50;fnd=1;relax=1;cap=3600;place=bottom;static=0;ac=0/20/10;seed=1',0,1,'sim','0.1.0','272484014f89','2026-12-01T16:46:28.888Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,9,0.0,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'precopy','precopy',1.0,0.0,0,1,NULL,NULL,NULL,NULL,0,NULL,NULL,3600.0,'completed',NULL,1,0.63405311999818581014,0.094459511999056444686,0.53959360799912936546,1.0000000000000000817e-05,79173504,19184,49152,78577664,68336,30517,65536,0,4,999.77793658962491466,65536,2800,11468800,0.29494428634643554687,32768,2400256,5561.0877256269359348,1,0,0.00032378000105381943285,0.00046524599929398391395);
INSERT INTO runs VALUES(3,1,'c0bc6ecbe23f1b82','b71383fab77af840',2,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;zero=9;zerocost=0;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=precopy;algname=precopy-ac;dl=0.29999999999999999;maxbw=0;iters=0;threshold=measured;variant=qemu-mplm;inv=3;dp=50;fnd=1;relax=1;cap=3600;place=bottom;static=0;ac=1/20/10;seed=1',0,1,'sim','0.1.0','272484014f89','2026-12-01T16:46:28.888Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,9,0.0,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'precopy','precopy-ac',0.29999999999999998889,0.0,0,1,NULL,NULL,NULL,NULL,1,20,10,3600.0,'completed',NULL,1,0.63405311999818581014,0.092921447999866013667,0.54113167199831979647,1.0000000000000000817e-05,79173504,19184,49152,78577664,68336,9155,65536,0,4,999.77793658962491466,65536,2800,11468800,0.29494428634643554687,32768,2400256,5545.2775684352809547,1,0,0.00030039800003578420728,0.00040829599856806453317);
INSERT INTO runs VALUES(4,1,'01f8848122d867e6','cd97a86d87cd24ac',3,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;zero=9;zerocost=0;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=mplm;algname=mplm;dl=0.29999999999999999;maxbw=0;iters=0;threshold=measured;variant=qemu-mplm;inv=3;dp=30;fnd=1;relax=1;cap=3600;place=bottom;static=0;ac=0/20/10;seed=1',0,1,'sim','0.1.0','272484014f89','2026-12-01T16:46:28.889Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,9,0.0,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'mplm','mplm',0.29999999999999998889,0.0,NULL,1,3.0,30,1,1,0,NULL,NULL,3600.0,'completed',NULL,1,0.63405311999818581014,0.086140127999850268913,0.54791299199833554123,1.0000000000000000817e-05,79173504,19184,49152,78577664,68336,9155,65536,0,4,999.77793658962491466,65536,2800,11468800,0.29494428634643554687,32768,2400256,5476.6292950344250128,1,0,0.00032111700056702829897,0.00042751900036819279193);
INSERT INTO runs VALUES(5,1,'16667f20c4acfaba','9fa4cb7342bb8ce8',4,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;zero=9;zerocost=0;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=mplm;algname=mplm;dl=0.29999999999999999;maxbw=0;iters=0;threshold=measured;variant=qemu-mplm;inv=3;dp=70;fnd=1;relax=1;cap=3600;place=bottom;static=0;ac=0/20/10;seed=1',0,1,'sim','0.1.0','272484014f89','2026-12-01T16:46:28.889Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,9,0.0,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'mplm','mplm',0.29999999999999998889,0.0,NULL,1,3.0,70,1,1,0,NULL,NULL,3600.0,'completed',NULL,1,0.63405311999818581014,0.066058247999803643146,0.56799487199838216699,1.0000000000000000817e-05,79173504,19184,49152,78577664,68336,9155,65536,0,4,999.77793658962491466,65536,2800,11468800,0.29494428634643554687,32768,2400256,5282.954403928085412,1,0,0.00034466999932192265987,0.00044597700070880819112);
INSERT INTO runs VALUES(6,1,'3733eb448d872212','dd886bdbe32c7830',5,'backend=sim;workload=u;source=gen:uniform,memory=128M,wss=64M,rate=6000,duration=8;vm=268435456;untraced=0;bw=125000000;hdr=8;zero=9;zerocost=0;state=65536;syncf=1.0000000000000001e-05;syncp=3.5999999999999998e-08;start=1;jitter=0;end=idle;verify=1;alg=stopcopy;algname=stopcopy;dl=0.29999999999999999;maxbw=0;iters=0;threshold=measured;variant=qemu-mplm;inv=3;dp=50;fnd=1;relax=1;cap=3600;place=bottom;static=0;ac=0/20/10;seed=1',0,1,'sim','0.1.0','272484014f89','2026-12-01T16:46:28.890Z','u','u','generator','uniform,memory=128M,wss=64M,rate=6000,duration=8,seed=1','bottom',0,1.0,'idle',0,268435456,125000000.0,8,9,0.0,65536,1.0000000000000000817e-05,3.5999999999999998106e-08,1,'stopcopy','stopcopy',NULL,0.0,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,3600.0,'completed',NULL,1,0.54200271999807903,0.54199271999807907551,9.9999999999544897377e-06,1.0000000000000000817e-05,67682304,16384,49152,67108864,65536,65536,65536,0,2,999.9630998197221743,65536,0,0,0.25213623046875,32768,2404352,0.0,1,0,0.00022647399964625947177,0.0003273269994679139927);
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
  throttle INTEGER,
  PRIMARY KEY (run_id, idx)) WITHOUT ROWID;
INSERT INTO syncs VALUES(1,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(1,1,0.54092007199842595532,0.54091007199842600083,2800,11955,0,56381,0,0,56381,67599909,0,0);
INSERT INTO syncs VALUES(1,2,0.54113167199831979647,0.00021159999989384115082,0,9155,0,2800,0,0,2800,25200,0,0);
INSERT INTO syncs VALUES(1,3,0.54114167199831975096,9.9999999999544897377e-06,0,9155,0,0,0,0,0,0,1,0);
INSERT INTO syncs VALUES(2,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(2,1,0.5393820079992355243,0.53937200799923556981,2800,33317,0,35019,0,0,35019,67407651,0,0);
INSERT INTO syncs VALUES(2,2,0.53959360799912936546,0.00021159999989384115082,0,30517,0,2800,0,0,2800,25200,0,0);
INSERT INTO syncs VALUES(2,3,0.53960360799912931994,9.9999999999544897377e-06,0,30517,0,0,0,0,0,0,1,0);
INSERT INTO syncs VALUES(3,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(3,1,0.54092007199842595532,0.54091007199842600083,2800,11955,0,56381,0,0,56381,67599909,0,0);
INSERT INTO syncs VALUES(3,2,0.54113167199831979647,0.00021159999989384115082,0,9155,0,2800,0,0,2800,25200,0,0);
INSERT INTO syncs VALUES(3,3,0.54114167199831975096,9.9999999999544897377e-06,0,9155,0,0,0,0,0,0,1,0);
INSERT INTO syncs VALUES(4,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,0,65536,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(4,1,0.54092007199842595532,0.54091007199842600083,2800,2800,9155,0,56381,56381,56381,67599909,0,0);
INSERT INTO syncs VALUES(4,2,0.54791299199833554123,0.0069929199999095859041,0,2593,6562,207,2593,2593,3703,872865,0,0);
INSERT INTO syncs VALUES(4,3,0.54792299199833549572,9.9999999999544897377e-06,0,2593,6562,0,0,0,0,0,1,0);
INSERT INTO syncs VALUES(5,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,0,65536,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(5,1,0.54092007199842595532,0.54091007199842600083,2800,2800,9155,0,56381,56381,56381,67599909,0,0);
INSERT INTO syncs VALUES(5,2,0.56799487199838216699,0.027074799999956211671,0,1980,7175,820,1980,1980,6580,3383100,0,0);
INSERT INTO syncs VALUES(5,3,0.56800487199838212148,9.9999999999544897377e-06,0,1980,7175,0,0,0,0,0,1,0);
INSERT INTO syncs VALUES(6,0,1.0000000000000000817e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,0,0);
INSERT INTO syncs VALUES(6,1,2.0000000000000001634e-05,1.0000000000000000817e-05,0,65536,0,0,0,0,0,0,1,0);
CREATE TABLE claims (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  param_hash TEXT NOT NULL,
  repetition INTEGER NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  token TEXT NOT NULL,
  lease_until REAL NOT NULL,
  PRIMARY KEY (experiment_id, param_hash, repetition)) WITHOUT ROWID;
CREATE INDEX runs_point ON runs (experiment_id, point_hash);
CREATE INDEX claims_token ON claims (token);
CREATE VIEW current AS
  SELECT e.name AS experiment, r.* FROM runs r
  JOIN experiments e ON e.id = r.experiment_id
  JOIN current_runs c ON c.experiment_id = r.experiment_id
   AND c.param_hash = r.param_hash AND c.repetition = r.repetition;
COMMIT;
