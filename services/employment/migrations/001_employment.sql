-- Employment's own tables: reference copies of grid's units, households,
-- residents and staff (kept by following grid's events), occupations, people,
-- enterprises, vacancies, placements, entrepreneurship support and training.
-- (Unique indexes on (ext_system, ext_id) are whole, not partial: NULLs never
-- collide, and a join on them can use a whole index.)

-- Reference copies of grid, written only by the follower.
CREATE TABLE ref_unit (
  code        text PRIMARY KEY,
  kind        int NOT NULL,
  name        text NOT NULL,
  parent_code text,
  lat         double precision,
  lon         double precision,
  version     bigint NOT NULL
);
CREATE TABLE ref_household (
  code      text PRIMARY KEY,
  zone_code text NOT NULL,
  flags     int[] NOT NULL DEFAULT '{}',
  version   bigint NOT NULL
);
CREATE TABLE ref_resident (
  id             text PRIMARY KEY,
  household_code text NOT NULL,
  name           text NOT NULL,
  gender         int NOT NULL,
  birth_date     date,
  version        bigint NOT NULL
);
CREATE TABLE ref_staff (
  id        text PRIMARY KEY,
  name      text NOT NULL,
  unit_code text NOT NULL,
  active    boolean NOT NULL,
  version   bigint NOT NULL
);

-- The national occupational classification (2022 edition), level 1 major
-- group "4" to level 4 occupation "4-03-02-01", and its ISCO-08 mapping.
CREATE TABLE occupation (
  code        text PRIMARY KEY
              CHECK (code ~ '^[1-8]$|^[1-8]-[0-9]{2}$|^[1-8]-[0-9]{2}-[0-9]{2}$|^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$'),
  name        text NOT NULL,
  level       int NOT NULL CHECK (level BETWEEN 1 AND 4),
  parent_code text REFERENCES occupation (code),
  CHECK ((level = 1) = (parent_code IS NULL))
);
CREATE INDEX occupation_parent ON occupation (parent_code);
CREATE TABLE occupation_isco (
  occupation_code text NOT NULL REFERENCES occupation (code),
  isco_code       text NOT NULL CHECK (isco_code ~ '^[0-9]{1,4}$'),
  isco_title      text NOT NULL,
  relation        text NOT NULL CHECK (relation IN ('exact', 'broader', 'partial')),
  PRIMARY KEY (occupation_code, isco_code)
);
CREATE INDEX occupation_isco_code ON occupation_isco (isco_code);

-- How alike two occupation codes are: the same occupation, small, medium or
-- major group.
CREATE FUNCTION occupation_similarity(a text, b text) RETURNS double precision
IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE
    WHEN a IS NULL OR b IS NULL THEN 0.0
    WHEN a = b THEN 1.0
    WHEN length(a) >= 7 AND length(b) >= 7 AND left(a, 7) = left(b, 7) THEN 0.7
    WHEN length(a) >= 4 AND length(b) >= 4 AND left(a, 4) = left(b, 4) THEN 0.4
    WHEN left(a, 1) = left(b, 1) THEN 0.15
    ELSE 0.0 END
$$;

-- Great-circle distance in metres (haversine); NULL when a point is unknown.
CREATE FUNCTION distance_m(lat1 double precision, lon1 double precision,
                           lat2 double precision, lon2 double precision)
RETURNS double precision IMMUTABLE LANGUAGE sql AS $$
  SELECT 2 * 6371008.8 * asin(sqrt(
    power(sin(radians(lat2 - lat1) / 2), 2)
    + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)))
$$;

-- A person of working age, keyed by grid's resident id. The current status
-- and difficulty categories are on the row; earlier ones are closed periods
-- in status_period and difficulty_period.
CREATE TABLE person (
  resident_id      text PRIMARY KEY,
  serial           bigserial NOT NULL UNIQUE,
  home_zone_code   text NOT NULL,
  home_zone_given  boolean NOT NULL DEFAULT false,
  status           int NOT NULL CHECK (status BETWEEN 1 AND 6),
  status_since     date NOT NULL,
  difficulties     int[] NOT NULL DEFAULT '{}',
  difficulty_since date NOT NULL,
  skill_codes      text[] NOT NULL DEFAULT '{}',
  skill_grades     int[] NOT NULL DEFAULT '{}',
  skill_years      int[] NOT NULL DEFAULT '{}',
  certificates     jsonb NOT NULL DEFAULT '[]',
  seeking_work     boolean NOT NULL DEFAULT false,
  desired          text[] NOT NULL DEFAULT '{}',
  registered_on    date NOT NULL,
  ext_system       text,
  ext_id           text,
  ext_hash         bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          bigint NOT NULL DEFAULT 1,
  CHECK (cardinality(skill_codes) = cardinality(skill_grades)
         AND cardinality(skill_codes) = cardinality(skill_years)),
  CHECK ((ext_system IS NULL) = (ext_id IS NULL))
) WITH (fillfactor = 80);   -- room for status changes as HOT updates
CREATE UNIQUE INDEX person_ext ON person (ext_system, ext_id);
CREATE INDEX person_zone ON person (home_zone_code);

CREATE TABLE status_period (
  person_serial bigint NOT NULL,   -- written with the person's row in one statement
  status        int NOT NULL CHECK (status BETWEEN 1 AND 6),
  since         date NOT NULL,
  until         date NOT NULL,     -- the last day of the period
  reason        text NOT NULL DEFAULT '',
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (until >= since)
);
CREATE INDEX status_period_person ON status_period (person_serial, since);

CREATE TABLE difficulty_period (
  person_serial bigint NOT NULL,   -- written with the person's row in one statement
  difficulties  int[] NOT NULL,
  since         date NOT NULL,
  until         date NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (until >= since)
);
CREATE INDEX difficulty_period_person ON difficulty_period (person_serial, since);

-- Enterprises by unified social credit code (validated in C, GB 32100-2015).
CREATE TABLE enterprise (
  credit_code      text PRIMARY KEY CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
  name             text NOT NULL,
  address          text NOT NULL DEFAULT '',
  zone_code        text,
  liaison_staff_id text REFERENCES ref_staff (id),
  industry         text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  version          bigint NOT NULL DEFAULT 1
);
CREATE INDEX enterprise_zone ON enterprise (zone_code);
CREATE INDEX enterprise_liaison ON enterprise (liaison_staff_id);

CREATE TABLE vacancy (
  id                     bigserial PRIMARY KEY,
  enterprise_credit_code text NOT NULL REFERENCES enterprise (credit_code),
  title                  text NOT NULL,
  occupation_code        text NOT NULL,   -- checked against occupation by the service
  required_grade         int NOT NULL DEFAULT 0 CHECK (required_grade BETWEEN 0 AND 5),
  positions              int NOT NULL CHECK (positions > 0),
  open_positions         int NOT NULL,
  full_time              boolean NOT NULL DEFAULT true,
  wage_min               int NOT NULL DEFAULT 0 CHECK (wage_min >= 0),
  wage_max               int NOT NULL DEFAULT 0,
  work_zone_code         text,
  lat                    double precision,
  lon                    double precision,
  opens_on               date NOT NULL,
  closes_on              date,
  status                 int NOT NULL CHECK (status BETWEEN 1 AND 3),
  ext_system             text,
  ext_id                 text,
  ext_hash               bytea,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  version                bigint NOT NULL DEFAULT 1,
  -- Positions fall as placements fill them, never below none.
  CONSTRAINT vacancy_positions_left CHECK (open_positions BETWEEN 0 AND positions),
  CHECK (wage_max = 0 OR wage_max >= wage_min),
  CONSTRAINT vacancy_dates_in_order CHECK (closes_on IS NULL OR closes_on >= opens_on),
  CHECK ((ext_system IS NULL) = (ext_id IS NULL))
) WITH (fillfactor = 80);   -- positions fall in place (HOT updates)
CREATE UNIQUE INDEX vacancy_ext ON vacancy (ext_system, ext_id);
CREATE INDEX vacancy_enterprise ON vacancy (enterprise_credit_code);
CREATE INDEX vacancy_open ON vacancy (occupation_code) WHERE status = 1;

CREATE TABLE placement (
  id                     bigserial PRIMARY KEY,
  person_serial          bigint NOT NULL REFERENCES person (serial),
  -- The enterprise, vacancy and occupation are looked up by the service in
  -- the statement before the insert (rows are never deleted); a trigger per
  -- row re-checking them would halve the speed of an import.
  enterprise_credit_code text,
  vacancy_id             bigint,
  occupation_code        text,
  kind                   int NOT NULL CHECK (kind BETWEEN 1 AND 4),
  source                 int NOT NULL CHECK (source BETWEEN 1 AND 3),
  full_time              boolean NOT NULL,
  start_date             date NOT NULL,
  end_date               date,
  employer_name          text NOT NULL DEFAULT '',
  home_zone_code         text NOT NULL,
  ext_system             text,
  ext_id                 text,
  ext_hash               bytea,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  version                bigint NOT NULL DEFAULT 1,
  CONSTRAINT placement_dates_in_order CHECK (end_date IS NULL OR end_date >= start_date),
  CHECK ((ext_system IS NULL) = (ext_id IS NULL))
);
-- One active full-time placement per person, in the database too: at most
-- one open-ended full-time placement each. The service refuses any overlap
-- of full-time date ranges before it writes; an exclusion constraint over the
-- ranges (a GiST index on boxes, btree_gist needing a superuser) enforced
-- that here too but cost some 16 us a row, most of an import's time.
CREATE UNIQUE INDEX placement_one_full_time ON placement (person_serial) WHERE full_time AND end_date IS NULL;
CREATE UNIQUE INDEX placement_ext ON placement (ext_system, ext_id);
CREATE INDEX placement_person ON placement (person_serial);
CREATE INDEX placement_vacancy ON placement (vacancy_id) WHERE vacancy_id IS NOT NULL;
CREATE INDEX placement_enterprise ON placement (enterprise_credit_code) WHERE enterprise_credit_code IS NOT NULL;

CREATE TABLE support (
  id                   bigserial PRIMARY KEY,
  person_serial        bigint NOT NULL REFERENCES person (serial),
  business_name        text NOT NULL,
  business_credit_code text CHECK (business_credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
  subsidy_yuan         bigint NOT NULL DEFAULT 0 CHECK (subsidy_yuan >= 0),
  guaranteed_loan_yuan bigint NOT NULL DEFAULT 0 CHECK (guaranteed_loan_yuan >= 0),
  incubation_base      text NOT NULL DEFAULT '',
  granted_on           date NOT NULL,
  home_zone_code       text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX support_person ON support (person_serial);
CREATE INDEX support_granted ON support (granted_on);

-- The online vocational school.
CREATE TABLE course (
  code            text PRIMARY KEY,
  title           text NOT NULL,
  occupation_code text REFERENCES occupation (code),
  grade           int NOT NULL DEFAULT 0 CHECK (grade BETWEEN 0 AND 5),
  hours           int NOT NULL CHECK (hours > 0),
  online          boolean NOT NULL DEFAULT true,
  provider        text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE enrolment (
  id            bigserial PRIMARY KEY,
  course_code   text NOT NULL REFERENCES course (code),
  person_serial bigint NOT NULL REFERENCES person (serial),
  status        int NOT NULL CHECK (status BETWEEN 1 AND 3),
  enrolled_on   date NOT NULL,
  finished_on   date,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (course_code, person_serial),
  CHECK (finished_on IS NULL OR finished_on >= enrolled_on),
  CHECK ((status = 1) = (finished_on IS NULL))
);
CREATE INDEX enrolment_person ON enrolment (person_serial);
CREATE TABLE mock_test (
  id           bigserial PRIMARY KEY,
  enrolment_id bigint NOT NULL REFERENCES enrolment (id),
  score        int NOT NULL CHECK (score >= 0),
  max_score    int NOT NULL CHECK (max_score > 0),
  taken_on     date NOT NULL,
  CHECK (score <= max_score)
);
CREATE INDEX mock_test_enrolment ON mock_test (enrolment_id);
CREATE TABLE exam_result (
  id                 bigserial PRIMARY KEY,
  person_serial      bigint NOT NULL REFERENCES person (serial),
  occupation_code    text NOT NULL REFERENCES occupation (code),
  grade              int NOT NULL CHECK (grade BETWEEN 1 AND 5),
  exam_date          date NOT NULL,
  theory_score       int NOT NULL CHECK (theory_score BETWEEN 0 AND 100),
  practical_score    int NOT NULL CHECK (practical_score BETWEEN 0 AND 100),
  passed             boolean NOT NULL,
  certificate_number text UNIQUE,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (passed = (certificate_number IS NOT NULL))
);
CREATE INDEX exam_result_person ON exam_result (person_serial);

-- The occupations the district's placements, vacancies and courses use, coded
-- by the national occupational classification (中华人民共和国职业分类大典,
-- 2022 edition, the successor of GB/T 6565-2015): all 8 major groups, their
-- medium groups, and the small groups and occupations common in a district's
-- employment work (services, trades, construction, care). Codes not seeded
-- here are refused until a later migration adds them.
INSERT INTO occupation (code, name, level, parent_code) VALUES
('1', '党的机关、国家机关、群众团体和社会组织、企事业单位负责人', 1, NULL),
('2', '专业技术人员', 1, NULL),
('3', '办事人员和有关人员', 1, NULL),
('4', '社会生产服务和生活服务人员', 1, NULL),
('5', '农、林、牧、渔业生产及辅助人员', 1, NULL),
('6', '生产制造及有关人员', 1, NULL),
('7', '军队人员', 1, NULL),
('8', '不便分类的其他从业人员', 1, NULL),
('1-01', '中国共产党机关负责人', 2, '1'),
('1-02', '国家机关负责人', 2, '1'),
('1-03', '民主党派和工商联负责人', 2, '1'),
('1-04', '人民团体和群众团体、社会组织及其他成员组织负责人', 2, '1'),
('1-05', '基层群众自治组织负责人', 2, '1'),
('1-06', '企事业单位负责人', 2, '1'),
('2-01', '科学研究人员', 2, '2'),
('2-02', '工程技术人员', 2, '2'),
('2-03', '农业技术人员', 2, '2'),
('2-04', '飞机和船舶技术人员', 2, '2'),
('2-05', '卫生专业技术人员', 2, '2'),
('2-06', '经济和金融专业人员', 2, '2'),
('2-07', '法律、社会和宗教专业人员', 2, '2'),
('2-08', '教学人员', 2, '2'),
('2-09', '文学艺术、体育专业人员', 2, '2'),
('2-10', '新闻出版、文化专业人员', 2, '2'),
('2-99', '其他专业技术人员', 2, '2'),
('3-01', '办事人员', 2, '3'),
('3-02', '安全和消防人员', 2, '3'),
('3-99', '其他办事人员和有关人员', 2, '3'),
('4-01', '批发与零售服务人员', 2, '4'),
('4-02', '交通运输、仓储和邮政业服务人员', 2, '4'),
('4-03', '住宿和餐饮服务人员', 2, '4'),
('4-04', '信息传输、软件和信息技术服务人员', 2, '4'),
('4-05', '金融服务人员', 2, '4'),
('4-06', '房地产服务人员', 2, '4'),
('4-07', '租赁和商务服务人员', 2, '4'),
('4-08', '技术辅助服务人员', 2, '4'),
('4-09', '水利、环境和公共设施管理服务人员', 2, '4'),
('4-10', '居民服务人员', 2, '4'),
('4-11', '电力、燃气及水供应服务人员', 2, '4'),
('4-12', '修理及制作服务人员', 2, '4'),
('4-13', '文化、体育和娱乐服务人员', 2, '4'),
('4-14', '健康服务人员', 2, '4'),
('4-99', '其他社会生产和生活服务人员', 2, '4'),
('5-01', '农业生产人员', 2, '5'),
('5-02', '林业生产人员', 2, '5'),
('5-03', '畜牧业生产人员', 2, '5'),
('5-04', '渔业生产人员', 2, '5'),
('5-05', '农、林、牧、渔业生产辅助人员', 2, '5'),
('5-99', '其他农、林、牧、渔业生产及辅助人员', 2, '5'),
('6-01', '农副产品加工人员', 2, '6'),
('6-02', '食品、饮料生产加工人员', 2, '6'),
('6-04', '纺织、针织、印染人员', 2, '6'),
('6-05', '纺织品、服装和皮革、毛皮制品加工制作人员', 2, '6'),
('6-18', '机械制造基础加工人员', 2, '6'),
('6-20', '通用设备制造人员', 2, '6'),
('6-22', '汽车制造人员', 2, '6'),
('6-24', '电气机械和器材制造人员', 2, '6'),
('6-25', '计算机、通信和其他电子设备制造人员', 2, '6'),
('6-28', '电力、热力、气体、水生产和输配人员', 2, '6'),
('6-29', '建筑施工人员', 2, '6'),
('6-30', '运输设备和通用工程机械操作人员及有关人员', 2, '6'),
('6-31', '生产辅助人员', 2, '6'),
('6-99', '其他生产制造及有关人员', 2, '6'),
('2-05-08', '护理人员', 3, '2-05'),
('2-06-03', '会计专业人员', 3, '2-06'),
('2-06-03-00', '会计专业人员', 4, '2-06-03'),
('4-01-01', '采购人员', 3, '4-01'),
('4-01-01-01', '采购员', 4, '4-01-01'),
('4-01-02', '销售人员', 3, '4-01'),
('4-01-02-01', '营销员', 4, '4-01-02'),
('4-01-02-02', '电子商务师', 4, '4-01-02'),
('4-01-02-03', '商品营业员', 4, '4-01-02'),
('4-01-02-04', '收银员', 4, '4-01-02'),
('4-01-02-07', '互联网营销师', 4, '4-01-02'),
('4-02-06', '仓储人员', 3, '4-02'),
('4-02-06-01', '仓储管理员', 4, '4-02-06'),
('4-02-07', '邮政和快递服务人员', 3, '4-02'),
('4-02-07-08', '快递员', 4, '4-02-07'),
('4-02-07-09', '快件处理员', 4, '4-02-07'),
('4-02-07-10', '网约配送员', 4, '4-02-07'),
('4-03-01', '住宿服务人员', 3, '4-03'),
('4-03-01-01', '前厅服务员', 4, '4-03-01'),
('4-03-01-02', '客房服务员', 4, '4-03-01'),
('4-03-02', '餐饮服务人员', 3, '4-03'),
('4-03-02-01', '中式烹调师', 4, '4-03-02'),
('4-03-02-02', '中式面点师', 4, '4-03-02'),
('4-03-02-03', '西式烹调师', 4, '4-03-02'),
('4-03-02-04', '西式面点师', 4, '4-03-02'),
('4-03-02-05', '餐厅服务员', 4, '4-03-02'),
('4-03-02-06', '营养配餐员', 4, '4-03-02'),
('4-03-02-07', '茶艺师', 4, '4-03-02'),
('4-07-05', '安全保护服务人员', 3, '4-07'),
('4-07-05-01', '保安员', 4, '4-07-05'),
('4-10-01', '生活照料服务人员', 3, '4-10'),
('4-10-01-02', '育婴员', 4, '4-10-01'),
('4-10-01-03', '保育员', 4, '4-10-01'),
('4-10-01-05', '养老护理员', 4, '4-10-01'),
('4-10-01-06', '家政服务员', 4, '4-10-01'),
('4-10-03', '美容美发服务人员', 3, '4-10'),
('4-10-03-01', '美容师', 4, '4-10-03'),
('4-10-03-02', '美发师', 4, '4-10-03'),
('4-12-01', '汽车摩托车修理技术服务人员', 3, '4-12'),
('4-12-01-01', '汽车维修工', 4, '4-12-01'),
('6-18-01', '机械冷加工人员', 3, '6-18'),
('6-18-01-01', '车工', 4, '6-18-01'),
('6-18-01-02', '铣工', 4, '6-18-01'),
('6-18-02', '机械热加工人员', 3, '6-18'),
('6-18-02-04', '焊工', 4, '6-18-02'),
('6-29-01', '房屋建筑施工人员', 3, '6-29'),
('6-29-01-01', '砌筑工', 4, '6-29-01'),
('6-29-01-04', '钢筋工', 4, '6-29-01'),
('6-31-01', '机械设备修理人员', 3, '6-31'),
('6-31-01-03', '电工', 4, '6-31-01');

-- ISCO-08: the major groups broadly, the occupations as closely as ISCO has
-- them ("exact": the same work; "partial": part of the unit group).
INSERT INTO occupation_isco (occupation_code, isco_code, isco_title, relation) VALUES
('1', '1', 'Managers', 'broader'),
('2', '2', 'Professionals', 'partial'),
('2', '3', 'Technicians and associate professionals', 'partial'),
('3', '4', 'Clerical support workers', 'partial'),
('3', '54', 'Protective services workers', 'partial'),
('4', '5', 'Service and sales workers', 'partial'),
('4', '9', 'Elementary occupations', 'partial'),
('5', '6', 'Skilled agricultural, forestry and fishery workers', 'partial'),
('5', '92', 'Agricultural, forestry and fishery labourers', 'partial'),
('6', '7', 'Craft and related trades workers', 'partial'),
('6', '8', 'Plant and machine operators, and assemblers', 'partial'),
('7', '0', 'Armed forces occupations', 'exact'),
('2-05-08', '222', 'Nursing and midwifery professionals', 'partial'),
('2-05-08', '322', 'Nursing and midwifery associate professionals', 'partial'),
('2-06-03-00', '2411', 'Accountants', 'exact'),
('4-01-01-01', '3323', 'Buyers', 'exact'),
('4-01-02-01', '3322', 'Commercial sales representatives', 'exact'),
('4-01-02-02', '2431', 'Advertising and marketing professionals', 'partial'),
('4-01-02-03', '5223', 'Shop sales assistants', 'exact'),
('4-01-02-04', '5230', 'Cashiers and ticket clerks', 'exact'),
('4-01-02-07', '5249', 'Sales workers not elsewhere classified', 'partial'),
('4-01-02-07', '2431', 'Advertising and marketing professionals', 'partial'),
('4-02-06-01', '4321', 'Stock clerks', 'exact'),
('4-02-07-08', '9621', 'Messengers, package deliverers and luggage porters', 'exact'),
('4-02-07-09', '4412', 'Mail carriers and sorting clerks', 'partial'),
('4-02-07-10', '9621', 'Messengers, package deliverers and luggage porters', 'exact'),
('4-03-01-01', '4224', 'Hotel receptionists', 'exact'),
('4-03-01-02', '9112', 'Cleaners and helpers in offices, hotels and other establishments', 'exact'),
('4-03-02-01', '5120', 'Cooks', 'exact'),
('4-03-02-02', '5120', 'Cooks', 'partial'),
('4-03-02-02', '7512', 'Bakers, pastry-cooks and confectionery makers', 'partial'),
('4-03-02-03', '5120', 'Cooks', 'exact'),
('4-03-02-04', '7512', 'Bakers, pastry-cooks and confectionery makers', 'exact'),
('4-03-02-05', '5131', 'Waiters', 'exact'),
('4-03-02-06', '2265', 'Dieticians and nutritionists', 'partial'),
('4-03-02-07', '5132', 'Bartenders', 'partial'),
('4-07-05-01', '5414', 'Security guards', 'exact'),
('4-10-01-02', '5311', 'Child care workers', 'exact'),
('4-10-01-03', '5311', 'Child care workers', 'exact'),
('4-10-01-05', '5322', 'Home-based personal care workers', 'partial'),
('4-10-01-05', '5321', 'Health care assistants', 'partial'),
('4-10-01-06', '9111', 'Domestic cleaners and helpers', 'exact'),
('4-10-03-01', '5142', 'Beauticians and related workers', 'exact'),
('4-10-03-02', '5141', 'Hairdressers', 'exact'),
('4-12-01-01', '7231', 'Motor vehicle mechanics and repairers', 'exact'),
('6-18-01-01', '7223', 'Metal working machine tool setters and operators', 'partial'),
('6-18-01-02', '7223', 'Metal working machine tool setters and operators', 'partial'),
('6-18-02-04', '7212', 'Welders and flamecutters', 'exact'),
('6-29-01-01', '7112', 'Bricklayers and related workers', 'exact'),
('6-29-01-04', '7114', 'Concrete placers, concrete finishers and related workers', 'partial'),
('6-31-01-03', '7411', 'Building and related electricians', 'partial'),
('6-31-01-03', '7412', 'Electrical mechanics and fitters', 'partial');
