/* The demo catalog and names the benchmarks seed with (bench:access, bench:import). */

// The catalog: 10 services (key, name, Japanese name).
export const SERVICES: [string, string, string][] = [
  ['cloud', 'Enterprise Cloud 2.0', 'エンタープライズクラウド 2.0'],
  ['playbook', 'Clarity Playbook', 'クラリティ プレイブック'],
  ['storage', 'Object Storage', 'オブジェクトストレージ'],
  ['mail', 'Secure Mail', 'セキュアメール'],
  ['crm', 'Customer Hub', 'カスタマーハブ'],
  ['analytics', 'Insight Analytics', 'インサイト分析'],
  ['backup', 'Managed Backup', 'マネージドバックアップ'],
  ['voice', 'Cloud Voice', 'クラウド音声'],
  ['sign', 'E-Sign', '電子署名'],
  ['workflow', 'Workflow Studio', 'ワークフロースタジオ'],
];
export const GROUP_WORDS = ['Sales', 'HR', 'Engineering', 'Finance', 'Support', 'Marketing', 'Legal', 'Operations', '営業部', '人事部', '開発部', '経理部'];
export const SITES = ['Tokyo', 'Osaka', 'Nagoya', 'Fukuoka', 'London', 'New York'];
